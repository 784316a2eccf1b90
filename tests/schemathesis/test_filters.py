"""Each [[operations]] block of <service>.toml selects exactly the operations its comment lists.

schemathesis applies a block to an operation when ANY one of its include-* keys matches it: a
block with `include-path-regex` and `include-method = "POST"` loosens its checks for every POST
of the service. So each block lists its operations in its comment ("# - POST /auth/register",
or "# - every operation under /invoices/operator/"), and this test reads the block with
schemathesis' own filters and the service's OpenAPI document (built by the service's code, in a
process of its own, without the runtime) and compares. No operation is in two blocks either:
of the blocks an operation matches, the first to set an option would decide it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SERVICES = ("auth", "subscriptions", "invoices", "consumption")
# what each service's settings require to import: names only, nothing is reached
RESOURCES = {
    "auth": ("AUTH_TABLE_NAME",),
    "subscriptions": ("SUBSCRIPTIONS_TABLE_NAME", "SUBSCRIPTIONS_DOCUMENTS_BUCKET"),
    "invoices": ("INVOICES_TABLE_NAME", "INVOICES_PDF_BUCKET"),
    "consumption": ("CONSUMPTION_TABLE_NAME", "CONSUMPTION_INGEST_BUCKET"),
}
DOCUMENT = """
import json, sys
from pathlib import Path
from guichet_local.testing import load_stage_environment
load_stage_environment(Path.cwd(), **{name: "unused" for name in sys.argv[1:]})
from chalicelib.openapi import document
print(json.dumps(document()))
"""
LISTED = re.compile(r"^# - ([A-Z]+ /\S+)$")
EVERY = re.compile(r"^# - every operation under (/\S+/)$")


def service_document(service: str) -> dict[str, Any]:
    """The OpenAPI document the service serves, from its own code (its settings of the local stage)."""
    built = subprocess.run(
        [sys.executable, "-c", DOCUMENT, *RESOURCES[service]],
        cwd=REPO / "services" / service,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert built.returncode == 0, built.stderr
    return json.loads(built.stdout)


def listed_operations(toml: str) -> list[list[str]]:
    """Per [[operations]] block of the file, in order, the lines "# - ..." of its comment."""
    blocks: list[list[str]] = []
    for line in toml.splitlines():
        if line.strip() == "[[operations]]":
            blocks.append([])
        elif blocks and (LISTED.match(line) or EVERY.match(line)):
            blocks[-1].append(line)
    return blocks


def expected_labels(lines: list[str], labels: set[str]) -> set[str]:
    """The operations ("METHOD /path") the lines of a block's comment name, of those of `labels`."""
    expected: set[str] = set()
    for line in lines:
        if every := EVERY.match(line):
            under = {label for label in labels if label.split(" ", 1)[1].startswith(every.group(1))}
            assert under, f"no operation under {every.group(1)}"
            expected |= under
        else:
            expected.add(LISTED.match(line).group(1))  # type: ignore[union-attr]
    return expected


def selected_labels(toml: str, document: dict[str, Any]) -> list[set[str]]:
    """Per [[operations]] block of the file, what schemathesis applies it to."""
    import schemathesis
    from schemathesis.config._operations import OperationConfig

    operations = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    filters = [
        OperationConfig.from_dict(block)._filter_set for block in tomllib.loads(toml).get("operations", [])
    ]
    return [
        {operation.label for operation in operations if chosen.applies_to(operation)} for chosen in filters
    ]


@pytest.fixture(autouse=True)
def operator_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator blocks' ${GUICHET_FUZZ_...} (their values do not matter to what a block selects)."""
    for name in ("OPERATOR_TOKEN", "CUSTOMER_ID", "SUBSCRIPTION_ID", "INVOICE_ID", "PAYMENT_ID"):
        monkeypatch.setenv(f"GUICHET_FUZZ_{name}", "unused")


def blocks_off(toml: str, document: dict[str, Any]) -> list[str]:
    """What differs between each block's comment and what it selects, and what two blocks select."""
    labels = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "put", "post", "patch", "delete"}
    }
    listed = listed_operations(toml)
    selected = selected_labels(toml, document)
    assert len(listed) == len(selected)
    off: list[str] = []
    seen: dict[str, int] = {}
    for number, (lines, chosen) in enumerate(zip(listed, selected, strict=True), start=1):
        assert lines, f"block {number} lists no operation in its comment"
        expected = expected_labels(lines, labels)
        if unknown := expected - labels:
            off.append(f"block {number} lists operations the document does not have: {sorted(unknown)}")
        if chosen != expected:
            off.append(
                f"block {number} selects {sorted(chosen - expected)} it does not list, "
                f"and not {sorted(expected - chosen)} it lists"
            )
        for label in chosen:
            if label in seen:
                off.append(f"{label} is in blocks {seen[label]} and {number}")
            seen.setdefault(label, number)
    return off


@pytest.mark.parametrize("service", SERVICES)
def test_each_block_selects_exactly_the_operations_it_lists(service: str) -> None:
    toml = (HERE / f"{service}.toml").read_text(encoding="utf-8")
    off = blocks_off(toml, service_document(service))
    assert not off, f"{service}.toml:\n" + "\n".join(off)


def test_a_path_and_a_method_in_two_keys_are_caught() -> None:
    """The mistake this test is for: two include-* keys of one block select either's operations."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/b": {"post": {"responses": {"200": {"description": "ok"}}}},
            "/c": {"post": {"responses": {"200": {"description": "ok"}}}},
        },
    }
    block = "[[operations]]\n# - POST /b\n{}\nenabled = true\n"
    loose = block.format('include-path-regex = "^/b$"\ninclude-method = "POST"')
    tight = block.format('include-name = ["POST /b"]')
    overlapping = tight + "\n" + block.replace("/b", "/c").format('include-method = "POST"')
    assert blocks_off(loose, document) == [
        "block 1 selects ['POST /c'] it does not list, and not [] it lists"
    ]
    assert blocks_off(tight, document) == []
    assert blocks_off(overlapping, document) == [
        "block 2 selects ['POST /b'] it does not list, and not [] it lists",
        "POST /b is in blocks 1 and 2",
    ]
