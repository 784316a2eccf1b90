"""`make deploy-check` end to end: the packaged stage deployed into the emulator by
`infra.deploy.deploy`, then every deployed function run from the code the deployment put in the
artifact bucket, with the environment its stack set (infra/deploy_check.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra import deploy_check

from .conftest import REGION, load


def _functions(template: dict[str, Any]) -> int:
    return sum(1 for body in template["Resources"].values() if body["Type"] == "AWS::Lambda::Function")


def test_the_packaged_stage_deploys_into_the_emulator_and_every_function_runs(
    packaged: Path, manifest: dict[str, Any]
) -> None:
    report = deploy_check.check(packaged, "prod", REGION)

    assert report.ok, deploy_check.render(report)
    stacks = {stack.name: stack for stack in report.stacks}
    assert set(stacks) == {
        *(entry["stack"] for entry in manifest["services"]),
        manifest["shared"]["stack"],
        manifest["portal"]["stack"],
    }
    assert {stack.status for stack in stacks.values()} == {"CREATE_COMPLETE"}
    # the API's custom domain made the shared stack give the portal its API, and the portal deployed
    assert stacks[manifest["shared"]["stack"]].outputs["ApiUrl"] == f"https://{deploy_check.API_DOMAIN}"
    assert "PortalBucketName" in stacks[manifest["portal"]["stack"]].outputs
    assert "PortalDistribution" in stacks[manifest["portal"]["stack"]].left_out
    assert any("not invalidated" in note for note in report.notes)
    # every function of every service ran, its routes answered without a 5xx
    for service in report.services:
        template = load(packaged / service.name / "template.json")
        assert len(service.functions) == _functions(template), service.name
        assert sum(service.outcomes.values()) == len(service.functions) - 1, service.name
        assert service.routes and set(service.routes) <= {"2xx", "4xx"}, service.name
        # every route API Gateway has for the function was called (the app may have more)
        assert 0 < service.api_routes <= sum(service.routes.values()), service.name
    assert "deploy check: ok" in deploy_check.render(report)


@pytest.fixture
def table_variable_dropped(packaged: Path, tmp_path: Path) -> tuple[Path, str]:
    """The packaged stage, the consumption functions' table variable taken out of their template."""
    copy = tmp_path / "stage"
    shutil.copytree(packaged, copy, symlinks=True)
    path = copy / "consumption" / "template.json"
    template = load(path)
    [name] = {
        variable
        for body in template["Resources"].values()
        if body["Type"] == "AWS::Lambda::Function"
        for variable in body["Properties"]["Environment"]["Variables"]
        if variable.endswith("_TABLE_NAME")
    }
    for body in template["Resources"].values():
        if body["Type"] == "AWS::Lambda::Function":
            del body["Properties"]["Environment"]["Variables"][name]
    path.write_text(json.dumps(template))
    return copy, name


def test_a_function_whose_environment_lacks_its_table_fails_the_check(
    table_variable_dropped: tuple[Path, str],
) -> None:
    templates, variable = table_variable_dropped

    report = deploy_check.check(templates, "prod", REGION, services=["consumption"])

    assert not report.ok
    [service] = report.services
    assert service.name == "consumption" and service.failures
    assert variable in "\n".join(service.failures)
    assert "deploy check: " in deploy_check.render(report) and "FAILED consumption" in deploy_check.render(
        report
    )


def test_a_deployment_that_fails_fails_the_check_and_runs_nothing(packaged: Path) -> None:
    report = deploy_check.check(packaged, "staging", REGION)

    assert not report.ok and not report.services
    assert "packaged for stage 'prod'" in report.failures[0]
    assert {stack.status for stack in report.stacks} == {"NOT DEPLOYED"}
