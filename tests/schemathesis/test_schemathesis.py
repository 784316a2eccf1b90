"""schemathesis on the four services of the local runtime: every phase (examples, coverage,
fuzzing, stateful), every check, in deterministic mode (the same cases every run), a bounded
number of cases per operation.

Each service's own OpenAPI document (GET /<service>/openapi.json) drives its run, as a customer
who has something of each kind: an electricity contract with a meter and readings, a mobile line
ordered with its invoice, so that the stateful phase's links (inferred from the documents:
meter_id, invoice_id, subscription_id, order_id...) reach real objects. The run fails on any
server error (5xx), any answer or status that does not match the document, any request the
document allows refused and any it forbids accepted; the failing cases, with their curl
reproduction, are the failure's message. `<service>.toml` beside this file lists the few
operations whose documented 422 also answers a well-formed request naming what the generator
cannot know (a mailed token, a password, a cursor...), each with its reason, and the operator
routes' settings: they are called with an operator token of the runtime, on the customer's
contract, invoice and cheque (`operator_environment`). Each block there selects exactly the
operations its comment lists (test_filters.py, without the runtime).

Run alone: `make test-schemathesis`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import LocalRuntime, eventually
from customers import Customer, electricity_item, order_invoice, place_order, verified_customer
from scorecard import write_tier

HERE = Path(__file__).resolve().parent
SERVICES = ("auth", "subscriptions", "invoices", "consumption")
MAX_EXAMPLES = 25  # cases per operation and phase: about 4 minutes of CPU for the four services
PARIS = ZoneInfo("Europe/Paris")
PROFILE = {
    "first_name": "Inès",
    "last_name": "Fuzz",
    "address": {"line1": "12 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"},
}


def _electricity_contract(runtime: Any, customer: Customer) -> None:
    """An electricity contract (nothing to pay upfront), its meter and a few half-hours read."""
    pdl = f"{uuid.uuid4().int % 10**14:014d}"
    place_order(runtime, customer, electricity_item(pdl))
    meters = eventually(lambda: runtime.get("/consumption/meters", headers=customer.auth).json()["items"], 30)
    assert meters, "the electricity contract got no meter"
    now = runtime.now()
    midnight = now.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    rows = ["meter_id,start,value"] + [
        f"{pdl},{(midnight + timedelta(minutes=30 * n)).strftime('%Y-%m-%dT%H:%M:%SZ')},0.5" for n in range(6)
    ]
    report = runtime.post(f"/_local/ingest?name=fuzz-{pdl}.csv", data="\n".join(rows).encode()).json()
    assert report["status"] == "ingested", report


def _mobile_line(runtime: Any, customer: Customer) -> dict[str, Any]:
    """A mobile line ordered: the order, and the invoice the invoices service issues for it."""
    order = place_order(runtime, customer, {"product_id": "mobile-50go", "label": "Ligne d'Inès"})
    return order_invoice(runtime, customer, order["order_id"], timeout=30)


def _cheque_on_its_way(runtime: Any, customer: Customer, invoice: dict[str, Any]) -> str:
    """The invoice paid by cheque: a payment pending until an operator says it was received."""
    answer = runtime.post(
        f"/invoices/{invoice['invoice_id']}/payments",
        json={"method": "check"},
        headers={**customer.auth, "Idempotency-Key": f"fuzz-cheque-{uuid.uuid4()}"},
    )
    assert answer.status_code == 201 and answer.json()["status"] == "pending", answer.text
    return str(answer.json()["payment_id"])


def _settled(runtime: LocalRuntime) -> bool:
    """Whether every event the run caused (orders placed, invoices issued...) was delivered."""
    sqs = runtime.aws("sqs")
    for queue_url in sqs.list_queues().get("QueueUrls", []):
        counts = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if any(int(count) for count in counts.values()):
            return False
    return True


@pytest.fixture(scope="module")
def runtime(launch_runtime: Any) -> Iterator[LocalRuntime]:
    """A runtime of its own: what the run creates (accounts, orders, mail) is no other test's."""
    started = launch_runtime("schemathesis", "--no-demo")
    yield started
    # the events of what the run ordered are delivered before Ctrl-C, which then stops at once
    assert eventually(lambda: _settled(started), timeout=120, every=1), "events still pending"
    assert started.stop() == 0, started.output()


@pytest.fixture(scope="module")
def customer(runtime: LocalRuntime) -> Customer:
    made = verified_customer(runtime, "fuzz", **PROFILE)
    _electricity_contract(runtime, made)
    return made


@pytest.fixture(scope="module")
def mobile_invoice(runtime: LocalRuntime, customer: Customer) -> dict[str, Any]:
    return _mobile_line(runtime, customer)


@pytest.fixture(scope="module")
def operator_environment(
    runtime: LocalRuntime, customer: Customer, mobile_invoice: dict[str, Any]
) -> dict[str, str]:
    """The environment the runs read their operator settings from (the [[operations]] of
    /operator/ in <service>.toml): an operator token of the runtime with both services' write
    scopes, and what the operator routes act on: the customer, their electricity contract, the
    mobile line's invoice and a cheque paying it."""
    from guichet_local.operator_token import local_token

    subscriptions = runtime.get("/subscriptions?family=electricity", headers=customer.auth).json()["items"]
    assert subscriptions, "the fuzzing customer has no electricity contract"
    token = local_token(
        runtime.port,
        [
            "invoices:write",
            "subscriptions:write",
            "customers:write",
            "readings:write",
            "catalog:write",
            "webhooks:manage",
        ],
        operator="ops:fuzz",
    )
    subscription_id = subscriptions[0]["subscription_id"]
    # suspended first, so that the run's first resume succeeds as its suspend does after it
    suspended = runtime.post(
        f"/subscriptions/operator/customers/{customer.customer_id}/subscriptions/{subscription_id}/suspend",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended", suspended.text
    return {
        "GUICHET_FUZZ_OPERATOR_TOKEN": token,
        "GUICHET_FUZZ_CUSTOMER_ID": customer.customer_id,
        "GUICHET_FUZZ_SUBSCRIPTION_ID": subscription_id,
        "GUICHET_FUZZ_INVOICE_ID": mobile_invoice["invoice_id"],
        "GUICHET_FUZZ_PAYMENT_ID": _cheque_on_its_way(runtime, customer, mobile_invoice),
    }


# What the operator routes of each run must have done: each line answered a 2xx at least once
# through one of its routes (the cheque is either received or expired, whichever comes first)
OPERATOR_ROUTES_ACTING: dict[str, list[set[str]]] = {
    "consumption": [{"POST /readings"}],
    "subscriptions": [
        {"POST /customers/{customer_id}/subscriptions/{subscription_id}/suspend"},
        {"POST /customers/{customer_id}/subscriptions/{subscription_id}/resume"},
        {"GET /catalog"},
    ],
    "invoices": [
        {"POST /customers/{customer_id}/invoices/{invoice_id}/credit-notes"},
        {
            "POST /customers/{customer_id}/payments/{payment_id}/received",
            "POST /customers/{customer_id}/payments/{payment_id}/expired",
        },
    ],
}


def _operator_successes(har: Path, ids: dict[str, str]) -> set[str]:
    """The operator routes ("POST /customers/{customer_id}/...", the ids of `ids` named back)
    that answered a 2xx in the run's recorded exchanges."""
    import json

    acted = set()
    for entry in json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]:
        path = entry["request"]["url"].split("?")[0]
        if "/operator/" in path and 200 <= entry["response"]["status"] < 300:
            route = "/" + path.split("/operator/", 1)[1]
            for name, value in ids.items():
                route = route.replace(f"/{value}/", f"/{{{name}}}/")
            acted.add(f"{entry['request']['method']} {route}")
    return acted


def _failures(output: str) -> str:
    """From the ERRORS or FAILURES section of schemathesis' report on (the whole report if neither)."""
    starts = [start for start in (output.find("= ERRORS ="), output.find("= FAILURES =")) if start >= 0]
    return output[output.rfind("\n", 0, min(starts)) + 1 :] if starts else output


CASES: dict[str, tuple[int, int]] = {}  # service -> (cases generated, passed)


@pytest.fixture(scope="module", autouse=True)
def scorecard() -> Iterator[None]:
    """The tier's line of the scorecard, once every service ran: the cases generated and passed."""
    yield
    if CASES:
        write_tier(
            "schemathesis",
            name="schemathesis",
            tried="API cases generated from the OpenAPI documents of "
            + ", ".join(sorted(CASES))
            + " (examples, coverage, fuzzing, stateful links; --checks all)",
            count=sum(generated for generated, _ in CASES.values()),
            held=sum(passed for _, passed in CASES.values()),
            command="make test-schemathesis",
            details=[
                f"{service}: {generated} generated, {passed} passed"
                for service, (generated, passed) in sorted(CASES.items())
            ],
        )


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_nothing(
    runtime: LocalRuntime,
    customer: Customer,
    operator_environment: dict[str, str],
    service: str,
    tmp_path: Path,
) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / f"{service}.toml"),
        "--no-color",
        "run",
        f"{runtime.url}/{service}/openapi.json",
        "--url",
        runtime.url,
        "--header",
        f"Authorization: Bearer {customer.tokens['access_token']}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        # one worker: schemathesis' threads hit CPython 3.11.7's AST race (gh-106905, fixed in
        # 3.11.8), "SystemError: AST constructor recursion depth mismatch", one run in three
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "har",
        "--report-har-path",
        str(tmp_path / "exchanges.har"),
        "--report-dir",
        str(tmp_path),
    ]
    try:
        run = subprocess.run(
            command,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **operator_environment, "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py")},
        )
    finally:
        _delete_webhook_endpoints(runtime, operator_environment["GUICHET_FUZZ_OPERATOR_TOKEN"])
    cases = re.search(r"Test cases:\s+([0-9]+) generated, ([0-9]+) passed", run.stdout)
    if cases:
        CASES[service] = (int(cases.group(1)), int(cases.group(2)))
    assert run.returncode == 0, (
        f"schemathesis found failures on {service}:\n{_failures(run.stdout)}{run.stderr}"
    )
    # every operation got past authentication: the operator routes too, with their operator token
    assert "Authentication failed" not in run.stdout, (
        f"operations only got 401/403 on {service}:\n{run.stdout}"
    )
    # and acted: each answered a success at least once (a refund made by hand: none exists, 404)
    ids = {
        "customer_id": customer.customer_id,
        "subscription_id": operator_environment["GUICHET_FUZZ_SUBSCRIPTION_ID"],
        "invoice_id": operator_environment["GUICHET_FUZZ_INVOICE_ID"],
        "payment_id": operator_environment["GUICHET_FUZZ_PAYMENT_ID"],
    }
    acted = _operator_successes(tmp_path / "exchanges.har", ids)
    missing = [routes for routes in OPERATOR_ROUTES_ACTING.get(service, []) if not routes & acted]
    assert not missing, f"operator routes that never succeeded on {service}: {missing} (did: {acted})"
    # the stateful phase ran, and its links carried real ids from one call to the next
    links = re.search(r"API Links: +([0-9]+) covered", run.stdout)
    assert links and int(links.group(1)) > 0, f"no stateful link was followed on {service}:\n{run.stdout}"


def _delete_webhook_endpoints(runtime: LocalRuntime, token: str) -> None:
    """The webhook endpoints the run made (at made-up hosts) go: the events of the tests after it
    are not sent to them."""
    headers = {"Authorization": f"Bearer {token}"}
    for endpoint in runtime.get("/auth/operator/webhooks/endpoints", headers=headers).json()["items"]:
        runtime.request(
            "DELETE", f"/auth/operator/webhooks/endpoints/{endpoint['endpoint_id']}", headers=headers
        )
