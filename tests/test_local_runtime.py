"""The local runtime (`make run`): gateway, mailbox, jobs, events, schedules, demo data, stop.

Most tests drive a real runtime over HTTP. The routing of events and schedules is tested
with a small Chalice app, tests/fixtures/echo_service, added to the registry with
--extra-service; the clock-dependent parts of the scheduler are tested without waiting.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, LocalRuntime, eventually, port_is_free
from customers import PASSWORD, verified_customer
from guichet_contracts import observability
from guichet_contracts.brand import load_brand, portal_keys
from guichet_contracts.web import PORTAL_SECURITY_HEADERS
from guichet_local.resources import deploy_service_resources, environment_name
from guichet_local.schedules import (
    Schedule,
    ScheduleExpressionError,
    Scheduler,
    next_fire_time,
    scheduled_event,
    to_croniter,
)
from guichet_local.services import Service, parse_service, stage_environment, with_public_url

ECHO_DIR = REPO / "tests" / "fixtures" / "echo_service"
ECHO = f"echo=/echo={ECHO_DIR}"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# --- the whole runtime, as `make run` starts it (every registered service, no demo data) ---


def test_services_answer_under_their_base_path(runtime: LocalRuntime) -> None:
    answer = runtime.get("/auth/health")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_unknown_paths_answer_404_with_the_api_error_body(runtime: LocalRuntime) -> None:
    for path in ("/nowhere", "/authx/health", "/_local/nothing", "/auth/no-such-route"):
        answer = runtime.get(path)

        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found", path
        assert answer.json()["error"]["message"], path


def test_a_method_no_route_serves_answers_405_with_the_api_error_body(runtime: LocalRuntime) -> None:
    # TRACE was http.server's own 501 HTML page, a server error to a client trying methods
    for method, path in (
        ("TRACE", "/auth/health"),
        ("TRACE", "/consumption/meters"),
        ("QUERY", "/consumption/meters"),
        ("PUT", "/auth/health"),
    ):
        answer = runtime.request(method, path)

        assert answer.status_code == 405, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "method_not_allowed", (method, path)


def test_worker_endpoints_are_not_reachable_through_the_gateway(runtime: LocalRuntime) -> None:
    for path in ("/_worker/manifest", "/auth/_worker/manifest"):
        assert runtime.get(path).status_code == 404, path
    assert runtime.post("/_worker/demo", json={"now": "2026-11-23T09:00:00+00:00"}).status_code == 404


def test_the_portal_serves_its_pages_and_assets_and_links_the_mailbox(runtime: LocalRuntime) -> None:
    answer = runtime.get("/")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/portal.js">' in answer.text
    assert 'href="/_local/mail"' in answer.text
    # the pages the emails link to are the portal too, and its assets are served with their types
    for page in ("/verify-email", "/reset-password", "/email-change/refuse", "/login", "/account"):
        assert runtime.get(page).text == answer.text, page
    assert runtime.get("/portal.js").headers["Content-Type"].startswith("text/javascript")
    assert runtime.get("/portal.css").headers["Content-Type"].startswith("text/css")
    # the brand: its name written into the page, its colours and logo served beside it
    brand = load_brand()
    assert "{{" not in answer.text and f'<meta name="guichet-brand" content="{brand.name}">' in answer.text
    colours = runtime.get("/brand.css")
    assert colours.headers["Content-Type"].startswith("text/css") and colours.text == brand.css_variables()
    logo = runtime.get("/brand/logo.svg")
    assert (
        logo.headers["Content-Type"] == "image/svg+xml"
        and logo.content == brand.logo_path("svg").read_bytes()
    )
    # the modules the entry imports and the texts' catalogs, under the portal's own headers
    for asset, content_type in (
        ("/core/api.js", "text/javascript"),
        ("/pages/invoice.js", "text/javascript"),
        ("/i18n/fr/common.json", "application/json"),
    ):
        served = runtime.get(asset)
        assert served.status_code == 200 and served.headers["Content-Type"].startswith(content_type), asset
        assert (
            served.headers["Content-Security-Policy"] == PORTAL_SECURITY_HEADERS["Content-Security-Policy"]
        ), asset
    # the brand's public part, as the deployed site holds it (infra/portal.py)
    served = runtime.get("/brand.json")
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/json"
    assert served.json() == load_brand().public()
    # of the text overrides, the portal's own only (the API's and the emails' stay out)
    assert set(served.json()["texts"]) == {"fr", "en", "it"}
    assert all(set(texts) <= portal_keys() for texts in served.json()["texts"].values())
    # nothing outside web/ is served, and unknown pages are the API's 404
    assert runtime.get("/../Makefile").status_code == 404
    assert runtime.get("/%2e%2e/Makefile").status_code == 404
    assert runtime.get("/no-such-page").json()["error"]["code"] == "not_found"
    assert {"name": "auth", "base_path": "/auth"} in runtime.get("/_local/services").json()["items"]


def test_mail_sent_through_ses_in_the_runtimes_moto_shows_in_the_mailbox(runtime: LocalRuntime) -> None:
    before = runtime.mail()
    message = EmailMessage()
    message["From"] = "Guichet <no-reply@guichet.test>"  # auth's sender, verified by the runtime
    message["To"] = "jeanne@example.com"
    message["Subject"] = "Votre code <b>123</b>"
    message["Date"] = "Mon, 23 Nov 2026 09:30:00 +0000"
    message.set_content("Code : 123\n")
    message.add_alternative("<p>Code : <b>123</b></p>", subtype="html")
    message.add_attachment(b"%PDF-1.7 code", maintype="application", subtype="pdf", filename="code.pdf")

    runtime.aws("ses").send_raw_email(
        Source=message["From"], Destinations=["jeanne@example.com"], RawMessage={"Data": message.as_bytes()}
    )

    after = runtime.mail()
    assert len(after) == len(before) + 1
    newest = after[0]
    assert newest["to"] == "jeanne@example.com"
    assert newest["subject"] == "Votre code <b>123</b>"
    assert newest["text"] == "Code : 123\n"
    assert newest["html"] == "<p>Code : <b>123</b></p>\n"
    assert newest["sent_at"] == "2026-11-23T09:30:00Z"
    assert newest["attachments"] == [
        {
            "filename": "code.pdf",
            "content_type": "application/pdf",
            "size": 13,
            "base64": "JVBERi0xLjcgY29kZQ==",
        }
    ]
    page = runtime.get("/_local/mail")
    assert page.status_code == 200
    assert "Attached: code.pdf (application/pdf, 13 bytes)" in page.text
    assert "Votre code &lt;b&gt;123&lt;/b&gt;" in page.text
    assert "<b>123</b>" not in page.text  # the HTML part too is only in an escaped srcdoc


def test_make_job_runs_a_declared_job_and_fails_on_an_unknown_one(runtime: LocalRuntime) -> None:
    listed = runtime.get("/_local/jobs").json()["items"]
    assert "auth.apply_pending_email_changes" in [job["name"] for job in listed]

    done = runtime.job("auth.apply_pending_email_changes", "2026-11-24T10:00:00Z")
    assert done.returncode == 0, done.stderr
    assert "2026-11-24T10:00:00Z" in done.stdout

    unknown = runtime.job("auth.no_such_job")
    assert unknown.returncode != 0
    assert "No job named 'auth.no_such_job'" in unknown.stderr


def test_make_job_fails_when_the_runtime_is_not_running() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    done = subprocess.run(
        [sys.executable, "-m", "guichet_local.job", "--port", str(port), "auth.apply_pending_email_changes"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 1
    assert "not running" in done.stderr


def test_a_job_time_that_is_not_iso_8601_is_refused(runtime: LocalRuntime) -> None:
    answer = runtime.post("/_local/jobs/auth.apply_pending_email_changes", json={"at": "tomorrow"})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_failed"


# --- a runtime serving only the echo test service, with its demo data ---


@pytest.fixture(scope="module")
def echo(launch_runtime: Callable[..., LocalRuntime]) -> Iterator[LocalRuntime]:
    started = launch_runtime("echo", "--extra-service", ECHO, "--only", "echo")
    yield started
    status = started.stop(signal.SIGTERM)  # as a service manager stops it
    assert status == 0, started.output()


def received(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    answer = runtime.get("/echo/received")
    answer.raise_for_status()
    return {item["pk"]: item for item in answer.json()["items"]}


def test_demo_data_is_loaded_and_its_logins_printed(echo: LocalRuntime) -> None:
    assert "demo" in received(echo)
    banner = echo.output()
    assert "Demo logins:" in banner
    login_line = next(line for line in banner.splitlines() if "echo@demo.example" in line)
    assert login_line.split() == ["echo@demo.example", "echo-pass", "echo", "tester", "ec000001-GU"]
    assert f"make job PORT={echo.port} NAME=echo." in banner
    assert "Ctrl-C to stop." in banner


def test_a_service_runs_with_its_stage_environment_and_resource_outputs(echo: LocalRuntime) -> None:
    environment = echo.get("/echo/env").json()

    assert environment["ECHO_TOP"] == "top"
    assert environment["ECHO_OVERRIDDEN"] == "local"
    assert environment["ECHO_LINK"] == f"{echo.url}/echo/health"  # written for :8000, served elsewhere
    assert environment["ECHO_TABLE_NAME"]
    assert environment["AWS_ENDPOINT_URL"] == echo.moto_url
    assert environment["AWS_DEFAULT_REGION"] == "eu-west-3"
    tables = echo.aws("dynamodb").list_tables()["TableNames"]
    assert environment["ECHO_TABLE_NAME"] in tables


def test_the_gateway_passes_method_query_headers_and_body(echo: LocalRuntime) -> None:
    answer = echo.request(
        "PATCH", "/echo/echo?tag=a&tag=b&empty=", data=b'{"x": 1}', headers={"X-Thing": "yes"}
    )

    assert answer.status_code == 200
    echoed = answer.json()
    assert echoed["method"] == "PATCH"
    assert echoed["query"] == {"tag": ["a", "b"], "empty": [""]}
    assert echoed["headers"]["x-thing"] == "yes"
    assert echoed["body"] == '{"x": 1}'


def test_a_service_sees_the_connections_address_and_no_header_can_say_another(echo: LocalRuntime) -> None:
    answer = echo.get(
        "/echo/echo", headers={"X-Forwarded-For": "10.9.9.9", "X-Guichet-Local-Source-Ip": "192.0.2.1"}
    )

    echoed = answer.json()
    assert echoed["source_ip"] == "127.0.0.1"  # not trusting X-Forwarded-For: the connection's
    assert "x-guichet-local-source-ip" not in echoed["headers"]
    assert echoed["headers"]["x-forwarded-for"] == "10.9.9.9"


def test_behind_a_trusted_proxy_the_client_is_the_first_forwarded_address(runtime: LocalRuntime) -> None:
    # the tests' runtime trusts X-Forwarded-For (--trust-forwarded-for): a customer's session
    # shows the address it came from
    customer = verified_customer(runtime, "source-ip", first_name="Inès", last_name="Adresse")
    address = next(iter(client_sessions(runtime, customer)))

    forwarded = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.7, 10.0.0.1", "X-Guichet-Local-Source-Ip": "192.0.2.99"},
    )
    not_an_address = runtime.post(
        "/auth/login",
        json={"login": customer.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "somewhere", "X-Guichet-Local-Source-Ip": "192.0.2.99"},
    )

    assert forwarded.status_code == not_an_address.status_code == 200
    assert address.startswith("10.")
    assert sorted(client_sessions(runtime, customer)) == sorted([address, "192.0.2.7", "127.0.0.1"])


def client_sessions(runtime: LocalRuntime, customer: Any) -> list[str]:
    answer = runtime.get("/auth/me/sessions", headers=customer.auth)
    answer.raise_for_status()
    return [item["ip"] for item in answer.json()["items"]]


def test_binary_bodies_and_repeated_headers_come_back_intact(echo: LocalRuntime) -> None:
    binary = echo.get("/echo/binary", headers={"Accept": "application/octet-stream"})
    assert binary.headers["Content-Type"] == "application/octet-stream"
    assert binary.content == bytes(range(256))

    cookies = echo.get("/echo/cookies")
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_a_service_email_reaches_the_mailbox(echo: LocalRuntime) -> None:
    assert echo.mail() == []  # nothing sent yet in this runtime

    assert echo.post("/echo/mail", json={"to": "paul@example.com"}).status_code == 200
    echo.aws("ses").send_email(
        Source="robot@echo.example",
        Destination={"ToAddresses": ["second@example.com"]},
        Message={"Subject": {"Data": "Second"}, "Body": {"Text": {"Data": "Later"}}},
    )

    items = echo.mail()
    assert [item["to"] for item in items] == ["second@example.com", "paul@example.com"]
    assert items[1]["subject"] == "Echo <test>"
    assert items[1]["text"] == "Plain echo\n"
    assert "<b>echo</b>" in items[1]["html"]


def test_an_event_runs_the_handlers_whose_pattern_matches_and_only_those(echo: LocalRuntime) -> None:
    answer = echo.aws("events").put_events(
        Entries=[
            {"Source": "guichet.test", "DetailType": "Hello", "Detail": json.dumps({"n": 1})},
            {"Source": "guichet.elsewhere", "DetailType": "Other", "Detail": "{}"},
            {"Source": "guichet.nobody", "DetailType": "Ignored", "Detail": "{}"},
        ]
    )
    hello, other, ignored = (f"event#{entry['EventId']}" for entry in answer["Entries"])

    def both_handled() -> dict[str, dict[str, Any]] | None:
        rows = received(echo)
        return rows if {hello, other} <= rows.keys() else None

    seen = eventually(both_handled)

    assert seen, "the handlers did not receive the events"
    assert seen[hello]["handler"] == "on_test_event"
    assert seen[hello]["detail_type"] == "Hello"
    assert json.loads(seen[hello]["detail"]) == {"n": 1}
    assert seen[hello]["account"] == "123456789012"
    assert seen[other]["handler"] == "on_elsewhere_event"
    assert ignored not in seen


def test_a_failed_event_is_delivered_again(echo: LocalRuntime) -> None:
    answer = echo.aws("events").put_events(
        Entries=[{"Source": "guichet.test", "DetailType": "Flaky", "Detail": json.dumps({"fail_times": 1})}]
    )
    key = f"event#{answer['Entries'][0]['EventId']}"

    seen = eventually(lambda: received(echo).get(key), timeout=20)

    assert seen, "the event was not delivered again after its handler failed"
    assert seen["attempts"] == 2
    assert "failing on purpose, attempt 1" in echo.output()  # the failure was reported


def test_an_event_off_its_contract_is_refused_once_and_dead_lettered(runtime: LocalRuntime) -> None:
    # Given an OrderPaid that lacks its order id (a field lost on the way)
    detail = {
        "event_id": f"off-contract-{uuid.uuid4()}",
        "version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "correlation_id": f"lost-field-{uuid.uuid4()}",
        "data": {
            "customer_id": "zz000000-GU",
            "invoice_id": None,
            "amount_paid_cents": 100,
            "currency": "EUR",
            "settled_by": "payment",
        },
    }

    # When it is put on the bus
    runtime.aws("events").put_events(
        Entries=[{"Source": "guichet.invoices", "DetailType": "OrderPaid", "Detail": json.dumps(detail)}]
    )

    # Then the subscriptions handler refuses it at once (never read with a default, never retried),
    # and the runtime lists it as a dead letter saying why
    # (as does the auth service's, which would send it out as a webhook)
    def dead_letters() -> dict[str, dict[str, Any]]:
        items = runtime.get("/_local/dead-letters.json").json()["items"]
        found = {item["handler"]: item for item in items if item["event_id"] == detail["event_id"]}
        return found if len(found) == 2 else {}

    letters = eventually(dead_letters, timeout=20)
    assert set(letters) == {"subscriptions.order_paid", "auth.webhooks_from_invoices"}, letters
    assert {(item["refused"], item["attempts"]) for item in letters.values()} == {(True, 1)}
    letter = letters["subscriptions.order_paid"]
    assert "order_id" in letter["error"] and "OrderPaid" in letter["error"]
    assert "dead-lettered" in runtime.output()
    # under the id of the request that caused it, in the list and in the handler's own log,
    # where the refusal is counted for the operators' alarm
    assert letter["correlation_id"] == detail["correlation_id"]
    log = (Path(runtime.description["logs"]) / "subscriptions.log").read_text().splitlines()
    refused = [
        json.loads(line) for line in log if detail["correlation_id"] in line and "off its contract" in line
    ]
    assert refused and refused[0]["function_name"] == "guichet-subscriptions-local-order_paid"
    assert refused[0]["correlation_id"] == detail["correlation_id"]
    assert observability.emitted(log)["EventsRefused"] >= 1


def test_jobs_list_the_declared_schedules(echo: LocalRuntime) -> None:
    jobs = {job["name"]: job for job in echo.get("/_local/jobs").json()["items"]}

    assert jobs["echo.tick"]["schedule"] == "rate(1 minute)"
    assert jobs["echo.broken"]["schedule"] == "cron(0 3 ? * MON *)"
    next_broken = datetime.fromisoformat(jobs["echo.broken"]["next_run"])
    assert next_broken.weekday() == 0 and (next_broken.hour, next_broken.minute) == (3, 0)


def test_a_job_runs_as_of_the_given_time(echo: LocalRuntime) -> None:
    done = echo.job("echo.tick", "2026-11-24T10:00:00+01:00")

    assert done.returncode == 0, done.stderr
    tick = received(echo)["tick#2026-11-24T09:00:00Z"]
    assert tick["time"] == "2026-11-24T09:00:00Z"
    assert tick["resources"][0].endswith(":rule/guichet-echo-local-tick")


def test_a_failing_job_exits_non_zero_with_its_error(echo: LocalRuntime) -> None:
    done = echo.job("echo.broken")

    assert done.returncode != 0
    assert "broken on purpose" in done.stderr


# --- failures the runtime must report ---


def test_a_worker_that_cannot_start_is_reported_with_its_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "app.py").write_text("raise ImportError('this app cannot be imported')\n")

    done = subprocess.run(
        [
            *(sys.executable, "-m", "guichet_local", "--port", "0", "--no-demo", "--only", "broken"),
            *("--extra-service", f"broken=/broken={broken}", "--state-dir", str(tmp_path / "state")),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "the broken worker exited" in done.stderr
    assert "this app cannot be imported" in done.stderr


def test_a_port_already_in_use_is_reported_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "-m", "guichet_local", "--port", str(port), "--state-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_the_runtime_exits_non_zero_when_a_worker_dies_and_frees_its_port(
    launch_runtime: Callable[..., LocalRuntime],
) -> None:
    started = launch_runtime("dying", "--no-demo", "--extra-service", ECHO, "--only", "echo")
    os.kill(started.workers["echo"], signal.SIGKILL)

    status = started.process.wait(timeout=15)

    assert status == 1
    assert "the echo worker exited with status -9" in started.output()
    assert port_is_free(started.port)
    again = launch_runtime(
        "again", "--no-demo", "--extra-service", ECHO, "--only", "echo", "--port", str(started.port)
    )
    assert again.url == started.url
    assert again.get("/echo/health").json() == {"status": "ok"}
    assert again.stop() == 0


# --- pieces, without a runtime ---


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's fake credentials in eu-west-3, and no endpoint that would send boto3 past mock_aws."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_stack_outputs_become_environment_variable_names() -> None:
    assert environment_name("AuthTableName") == "AUTH_TABLE_NAME"
    assert environment_name("JWTSigningKeyArn") == "JWT_SIGNING_KEY_ARN"
    assert environment_name("Invoices2BucketName") == "INVOICES2_BUCKET_NAME"


def test_deploy_service_resources_creates_the_template_in_mock_aws(aws_credentials: None) -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        outputs = deploy_service_resources(ECHO_DIR, "guichet-echo")

        assert list(outputs) == ["ECHO_TABLE_NAME"]
        table = boto3.client("dynamodb").describe_table(TableName=outputs["ECHO_TABLE_NAME"])["Table"]
        assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
        assert deploy_service_resources(ECHO_DIR / ".chalice", "nothing-here") == {}


def test_a_bucket_declared_versioned_is_versioned_locally(aws_credentials: None) -> None:
    # moto's CloudFormation drops VersioningConfiguration; the invoices PDFs rely on versions
    from moto import mock_aws

    with mock_aws():
        import boto3

        outputs = deploy_service_resources(REPO / "services" / "invoices", "guichet-invoices")

        versioning = boto3.client("s3").get_bucket_versioning(Bucket=outputs["INVOICES_PDF_BUCKET"])
        assert versioning.get("Status") == "Enabled"


def test_the_stage_environment_overrides_the_top_level_and_follows_the_port() -> None:
    config = {
        "environment_variables": {"A": "top", "B": "top"},
        "stages": {"local": {"environment_variables": {"B": "local", "URL": "http://127.0.0.1:8000/auth"}}},
    }

    environment = stage_environment(config)

    assert environment == {"A": "top", "B": "local", "URL": "http://127.0.0.1:8000/auth"}
    moved = with_public_url({**environment, "OTHER": "http://127.0.0.1:80001"}, "http://127.0.0.1:9123")
    assert moved["URL"] == "http://127.0.0.1:9123/auth"
    assert moved["OTHER"] == "http://127.0.0.1:80001"
    assert with_public_url(environment, "http://127.0.0.1:8000") == environment


def test_extra_services_are_checked() -> None:
    assert parse_service(ECHO) == Service("echo", "/echo", ECHO_DIR)
    for spec in (
        "echo",
        "echo=/echo",
        f"echo=echo={ECHO_DIR}",
        f"Echo=/echo={ECHO_DIR}",
        "x=/x=/nonexistent",
    ):
        with pytest.raises(ValueError):
            parse_service(spec)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # AWS day-of-week 2 is Monday (croniter's 1); 2026-11-23 is a Monday.
        ("cron(0 10 ? * 2 *)", utc(2026, 11, 23, 10, 0), utc(2026, 11, 30, 10, 0)),
        ("cron(0 10 ? * 2 *)", utc(2026, 11, 23, 9, 59), utc(2026, 11, 23, 10, 0)),
        ("cron(0 8 ? * MON-FRI *)", utc(2026, 11, 27, 9, 0), utc(2026, 11, 30, 8, 0)),
        ("cron(0 8 ? * 2-6 *)", utc(2026, 11, 27, 9, 0), utc(2026, 11, 30, 8, 0)),
        ("cron(30 6 ? * 1,7 *)", utc(2026, 11, 23, 0, 0), utc(2026, 11, 28, 6, 30)),  # SUN,SAT
        ("cron(0 0 L * ? *)", utc(2026, 2, 3, 0, 0), utc(2026, 2, 28, 0, 0)),
        ("cron(0 12 ? * 6#3 *)", utc(2026, 11, 1, 0, 0), utc(2026, 11, 20, 12, 0)),  # third Friday
        ("cron(15 10 ? * 6L *)", utc(2026, 11, 1, 0, 0), utc(2026, 11, 27, 10, 15)),  # last Friday
        ("cron(0/15 * * * ? *)", utc(2026, 11, 23, 9, 7, 30), utc(2026, 11, 23, 9, 15)),
        ("cron(0 9 1 1 ? 2028)", utc(2026, 11, 23, 0, 0), utc(2028, 1, 1, 9, 0)),
        ("cron(0 9 1 * ? 2026-2027)", utc(2027, 12, 1, 9, 0), None),
    ],
)
def test_next_fire_time_of_aws_cron(expression: str, after: datetime, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(ScheduleExpressionError):
            next_fire_time(expression, after)
    else:
        assert next_fire_time(expression, after) == expected


def test_next_fire_time_of_a_rate_counts_from_the_start() -> None:
    start = utc(2026, 11, 23, 9, 0, 10)

    assert next_fire_time("rate(15 minutes)", start, started_at=start) == start + timedelta(minutes=15)
    assert next_fire_time(
        "rate(15 minutes)", start + timedelta(minutes=15), started_at=start
    ) == start + timedelta(minutes=30)
    assert next_fire_time(
        "rate(1 hour)", start + timedelta(minutes=61), started_at=start
    ) == start + timedelta(hours=2)
    assert next_fire_time("rate(2 days)", start, started_at=start) == start + timedelta(days=2)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 10 * * *)",
        "cron(0 10 1 * 2 *)",
    ],
)
def test_invalid_schedule_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        next_fire_time(expression, utc(2026, 11, 23, 9, 0))


def test_aws_cron_becomes_croniter_cron() -> None:
    assert to_croniter("cron(0 10 ? * 1-7 *)") == ("0 10 * * 0-6", "*")
    assert to_croniter("cron(0 10 ? * SUN,MON 2027)") == ("0 10 * * SUN,MON", "2027")


def test_the_scheduler_fires_what_is_due_once_with_its_scheduled_time() -> None:
    now = [utc(2026, 11, 23, 9, 0, 0)]
    fired: list[tuple[str, datetime]] = []
    scheduler = Scheduler(
        [Schedule("auth", "every_15", "rate(15 minutes)"), Schedule("auth", "daily", "cron(0 10 * * ? *)")],
        lambda schedule, at: fired.append((schedule.job, at)),
        clock=lambda: now[0],
    )

    assert scheduler.run_pending() == []
    now[0] = utc(2026, 11, 23, 9, 15, 0)
    scheduler.run_pending()
    assert fired == [("auth.every_15", utc(2026, 11, 23, 9, 15))]

    # The machine slept through several periods: one run, for the latest missed time.
    now[0] = utc(2026, 11, 23, 10, 20, 0)
    scheduler.run_pending()
    assert fired[1:] == [
        ("auth.every_15", utc(2026, 11, 23, 10, 15)),
        ("auth.daily", utc(2026, 11, 23, 10, 0)),
    ]
    assert [s.next_run for s in scheduler.schedules] == [utc(2026, 11, 23, 10, 30), utc(2026, 11, 24, 10, 0)]


def test_the_scheduler_thread_fires_on_its_own_and_stops() -> None:
    now = [utc(2026, 11, 23, 9, 0, 0)]
    fired: list[datetime] = []
    scheduler = Scheduler(
        [Schedule("echo", "tick", "rate(1 minute)")],
        lambda schedule, at: fired.append(at),
        clock=lambda: now[0],
        max_sleep=0.01,
    )
    scheduler.start()
    try:
        now[0] = utc(2026, 11, 23, 9, 1, 0)
        assert eventually(lambda: fired, timeout=5) == [utc(2026, 11, 23, 9, 1)]
    finally:
        scheduler.stop()


def test_a_scheduled_event_is_the_one_eventbridge_sends() -> None:
    event = scheduled_event("guichet-auth-local-job", utc(2026, 11, 24, 10, 0, 0, 123), "eu-west-3")

    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-11-24T10:00:00Z"
    assert event["resources"] == ["arn:aws:events:eu-west-3:123456789012:rule/guichet-auth-local-job"]
    assert event["detail"] == {}
    assert {"version", "id", "account", "region"} <= event.keys()


def test_stopping_asks_every_worker_before_waiting_for_any() -> None:
    """Workers exit side by side: the runtime asks each to stop (SIGTERM) before it waits for
    the first, so stopping lasts as long as the slowest worker rather than all of them in turn."""
    from guichet_local.runtime import Options, Runtime

    calls: list[tuple[str, str]] = []

    class Worker:
        def __init__(self, name: str) -> None:
            self.name = name

        def ask_to_stop(self) -> None:
            calls.append(("ask", self.name))

        def stop(self) -> None:
            calls.append(("wait", self.name))

    stopped = Runtime(Options())
    stopped.workers = {name: Worker(name) for name in ("auth", "invoices")}  # type: ignore[misc]
    stopped.stop()

    assert [call for call, _ in calls] == ["ask", "ask", "wait", "wait"]
    assert {name for _, name in calls} == {"auth", "invoices"}
