"""What ships is what is tested: each built deployment.zip, unpacked into Python of the Lambda
runtime's version holding only what that runtime provides (boto3), imports, and answers every
route and event of its app through its packaged handlers, against the emulator.

The emulator is the local runtime's (moto's server, local/guichet_local/emulator.py), with each
service's table and bucket created from its resources.json as the local runtime creates them,
and its settings those of its `local` stage. A route may refuse the synthetic request (4xx); it
must never fail (5xx, an exception), nor may any import: a dependency missing from a service's
requirements.txt fails here. See infra/artifact.py and infra/lambda_driver.py.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from guichet_contracts.operator_tokens import SCOPES
from guichet_local.emulator import EmulatorServer
from guichet_local.resources import deploy_service_resources, verify_mail_sender
from guichet_local.services import Service as LocalService
from guichet_local.services import chalice_config, stage_environment
from guichet_local.testing import Signer

from infra import LAMBDA_RUNTIME
from infra.artifact import drive, functions, isolated, isolated_environment, unpack
from infra.package import SERVICES_DIR
from infra.runtime import lambda_runtime_python

from .conftest import REGION, load

SERVICE_NAMES = sorted(path.parent.name for path in SERVICES_DIR.glob("*/app.py"))
# the instant the scheduled events stand for
SCHEDULED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CUSTOMER_ID = "C-ARTIFACT-CHECK"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def lambda_python() -> str:
    return lambda_runtime_python(LAMBDA_RUNTIME)


@pytest.fixture(scope="module")
def unpacked(packaged: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each service's deployment.zip unpacked (side by side: the time is the disk's)."""
    root = tmp_path_factory.mktemp("task")
    with ThreadPoolExecutor(max_workers=len(SERVICE_NAMES)) as pool:
        roots = pool.map(lambda name: unpack(packaged / name / "deployment.zip", root / name), SERVICE_NAMES)
        return dict(zip(SERVICE_NAMES, roots, strict=True))


@pytest.fixture(scope="module")
def emulator() -> Iterator[dict[str, str]]:
    """The emulator on 127.0.0.1 with every service's resources; each service's environment."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request to the emulator
    server = EmulatorServer("127.0.0.1", 0)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=30).close()
        aws = {**CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": url}
        with pytest.MonkeyPatch.context() as patch:
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
                patch.delenv(name, raising=False)
            for name, value in aws.items():
                patch.setenv(name, value)
            environments = {}
            for name in SERVICE_NAMES:
                service = LocalService(name=name, base_path=f"/{name}", directory=SERVICES_DIR / name)
                stage = stage_environment(chalice_config(service))
                outputs = deploy_service_resources(service.path, f"guichet-{name}")
                if stage.get("GUICHET_MAIL_SENDER"):
                    verify_mail_sender(stage["GUICHET_MAIL_SENDER"])
                environments[name] = {
                    **stage,
                    **outputs,
                    **aws,
                    "AWS_LAMBDA_FUNCTION_NAME": f"guichet-{name}",
                }
        yield environments
    finally:
        server.stop()


def _tokens(environment: dict[str, str]) -> dict[str, str]:
    """A customer's and an operator's tokens the service accepts: signed with a key put in the
    public keys secret it reads (the auth service adds its own key to it, never replaces it)."""
    signer = Signer()
    secrets = boto3.client(
        "secretsmanager", region_name=REGION, endpoint_url=environment["AWS_ENDPOINT_URL"], **_keys()
    )
    secret = environment["GUICHET_JWT_PUBLIC_KEYS_SECRET"]
    try:
        current = json.loads(secrets.get_secret_value(SecretId=secret)["SecretString"])
        secrets.put_secret_value(
            SecretId=secret, SecretString=json.dumps({"keys": [*current["keys"], *signer.jwks["keys"]]})
        )
    except secrets.exceptions.ResourceNotFoundException:
        secrets.create_secret(Name=secret, SecretString=json.dumps(signer.jwks))
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GUICHET_JWT_ISSUER", "GUICHET_JWT_AUDIENCE"):
            patch.setenv(name, environment[name])
        patch.setenv(
            "GUICHET_OPERATOR_AUDIENCE", environment.get("GUICHET_OPERATOR_AUDIENCE", "guichet-operator")
        )
        return {
            "customer": signer.token(CUSTOMER_ID),
            "customer_id": CUSTOMER_ID,
            "operator": signer.operator_token(*SCOPES),  # every operator route reached, whichever its scope
        }


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(name: str) -> list[str]:
    """The distributions services/<name>/requirements.txt names (extras and versions left out)."""
    lines = (
        line.split("#")[0].strip()
        for line in (SERVICES_DIR / name / "requirements.txt").read_text().splitlines()
    )
    return [re.split(r"[\[=<>!~; ]", line, maxsplit=1)[0] for line in lines if line]


def _failures(results: dict[str, Any]) -> list[str]:
    return [f"import {entry['module']}:\n{entry['error']}" for entry in results["imports"] if entry["error"]]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_the_packaged_service_imports_and_answers_every_route_and_event(
    name: str,
    packaged: Path,
    unpacked: dict[str, Path],
    lambda_python: str,
    emulator: dict[str, dict[str, str]],
) -> None:
    task_root = unpacked[name]
    sam = load(packaged / name / "sam.json")
    api_handler, others = functions(sam, SCHEDULED_AT, REGION)
    environment = emulator[name]
    spec = {
        "task_root": str(task_root),
        "api_handler": api_handler,
        "functions": others,
        "tokens": _tokens(environment),
    }

    results = drive(lambda_python, spec, isolated_environment(task_root, environment))

    failed_imports = _failures(results)
    assert not failed_imports, f"{name}: " + "\n".join(failed_imports)
    assert len(results["imports"]) > 10
    # every event source of the app is a function of the template, and was driven
    assert {source["handler"] for source in results["event_sources"]} == {f["handler"] for f in others}
    assert results["routes"], f"{name}: no route driven"
    broken = [r for r in results["routes"] if r["error"] or r["status"] is None or r["status"] >= 500]
    assert not broken, f"{name}: " + json.dumps(broken, indent=1)
    schedules = {f["name"] for f in others if f["event"]["source"] == "aws.events"}
    failed = [
        f
        for f in results["functions"]
        if f["outcome"] == "error" or (f["name"] in schedules and f["outcome"] != "ok")
    ]
    assert not failed, f"{name}: " + json.dumps(failed, indent=1)
    assert [f["name"] for f in results["functions"]] == [f["name"] for f in others]
    # every runtime dependency is imported by the check: without it in the zip, the check fails
    imported = {_normalized(distribution) for distribution in results["distributions"]}
    unseen = [
        requirement for requirement in runtime_requirements(name) if _normalized(requirement) not in imported
    ]
    assert not unseen, (
        f"{name}: nothing the service runs imports {unseen}: unneeded, or needed where this check does not go"
    )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_the_packaged_service_ships_its_email_templates_and_catalogs(
    name: str, unpacked: dict[str, Path]
) -> None:
    """The emails' catalogs and the API's (guichet_contracts/locale) are read at run time from .po
    files: each must be in the zip, beside its templates, the service's and the shared layout's
    alike."""
    from guichet_contracts import mail, words

    shared = Path(mail.__file__).parent / "templates"
    folders = [
        (shared, unpacked[name] / "guichet_contracts" / "templates"),
        (words.FOLDER / "locale", unpacked[name] / "guichet_contracts" / "locale"),
    ]
    source = SERVICES_DIR / name / "chalicelib" / "templates"
    if source.is_dir():
        folders.append((source, unpacked[name] / "chalicelib" / "templates"))
    for folder, shipped in folders:
        wanted = {path.relative_to(folder) for path in folder.rglob("*") if path.suffix in {".j2", ".po"}}
        assert any(path.suffix == ".po" for path in wanted), folder
        assert {path for path in wanted if not (shipped / path).is_file()} == set(), f"{name}: {folder}"


_RENDER = (
    "import json, sys; from pathlib import Path; sys.path.insert(0, {root!r}); "
    "from guichet_contracts import mail; "
    "email = mail.render(Path({root!r}) / 'chalicelib' / 'templates', {name!r}, {language!r}, "
    "'lina@example.org', **json.loads({context!r})); "
    "print(json.dumps({{'subject': email.subject, 'text': email.text, 'html': email.html}}))"
)


@pytest.mark.parametrize(
    "mail_name, language, context, wording",
    [
        (
            "order_received",
            "it",
            {
                "order_id": "ord_1",
                "items": [
                    {
                        "name": "Fibra",
                        "label": "Casa",
                        "periods": 3,
                        "billing_period": "month",
                        "price": "89,97 €",
                    }
                ],
                "total": "89,97 €",
                "orders_url": "https://x.test/order-status?id=ord_1",
            },
            "- Fibra «Casa», 3 mesi: 89,97 €",
        ),
        (
            "renewal_reminder",
            "fr",
            {
                "subscription_name": "Fibre",
                "label": "",
                "dossier_number": "D-1",
                "renews_on": "30/04/2026",
                "days_left": 7,
                "price": "29,99 €",
                "billing_period": "year",
                "renew_url": "https://x.test/subscription?id=s1",
                "auto_renew": True,
            },
            "le 30/04/2026, dans 7 jours, pour 29,99 € par an.",
        ),
    ],
)
def test_a_subscriptions_mail_renders_from_the_artifact_in_the_customer_s_language(
    mail_name: str,
    language: str,
    context: dict[str, Any],
    wording: str,
    unpacked: dict[str, Path],
    lambda_python: str,
) -> None:
    """The templates, the catalogs and Babel's locale data the mails need are in the zip: a mail
    renders in the Lambda runtime's Python with nothing but the zip, its texts translated."""
    root = unpacked["subscriptions"]
    values = {"first_name": "Lina", "customer_id": CUSTOMER_ID, **context}
    script = _RENDER.format(root=str(root), name=mail_name, language=language, context=json.dumps(values))

    email = json.loads(isolated(lambda_python, ["-c", script], root, isolated_environment(root, {}), 60.0))

    assert wording in email["text"], email["text"]
    assert CUSTOMER_ID in email["text"] and CUSTOMER_ID in email["html"]
