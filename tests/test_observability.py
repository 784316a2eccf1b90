"""guichet_contracts.observability, in process: the correlation id travels from a request to the
events it publishes and from an event to the events its handler publishes; schedules and S3
drops start a new id; every invocation logs its Lambda context; business signals leave as EMF,
and every signal a service counts is one the shared stack knows it counts."""

from __future__ import annotations

import ast
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from chalice import Chalice
from chalice.local import LambdaContext
from conftest import REPO
from guichet_contracts import events, observability, web
from guichet_contracts.domain_events.auth import CustomerRegistered
from guichet_contracts.events import InvalidEvent

SERVICES = sorted(path.name for path in (REPO / "services").iterdir() if (path / "app.py").is_file())
CUSTOMER = CustomerRegistered(
    customer_id="C1",
    external_id=None,
    siren=None,
    siret=None,
    vat_number=None,
    backup_email=None,
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    company=None,
    phone=None,
    language="en",
    address=None,
)


class Bus:
    """EventBridge as `events.publish` sees it: what was put."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"}]}

    def published(self) -> list[dict[str, Any]]:
        return [json.loads(entry["Detail"]) for entry in self.entries]


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    fake = Bus()
    monkeypatch.setattr(events, "_client", fake)
    return fake


# one Logger per name and process (Powertools configures a name once): one for the module
OUTPUT = io.StringIO()
LOGGER = Logger(service="probe", logger_handler=logging.StreamHandler(OUTPUT))


@pytest.fixture
def probe() -> tuple[Chalice, io.StringIO]:
    """A Chalice app wired as the services are: a route, an event handler, a schedule."""
    app = Chalice(app_name="probe-app")
    OUTPUT.seek(0)
    OUTPUT.truncate()
    output, logger = OUTPUT, LOGGER
    web.install(app, logger)
    observability.install(app, logger)

    @app.route("/orders", methods=["POST"])
    def order() -> dict[str, str]:
        events.publish(CUSTOMER)
        return {"ok": "yes"}

    @app.on_cw_event({"source": ["guichet.auth"]}, name="customer_changed")
    def customer_changed(event: Any) -> None:
        events.received(event, CustomerRegistered)
        logger.info("customer remembered")
        events.publish(CUSTOMER)

    @app.schedule("rate(1 day)", name="nightly")
    def nightly(event: Any) -> None:
        events.publish(CUSTOMER)

    return app, output


def log_lines(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]


def cw_event(detail: dict[str, Any], source: str = "guichet.auth", name: str = "CustomerRegistered") -> dict:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": name,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-22T09:30:00Z",
        "region": "eu-west-3",
        "resources": [],
        "detail": detail,
    }


def invoke(app: Chalice, name: str, event: dict[str, Any]) -> Any:
    context = LambdaContext(function_name=f"probe-{name}", memory_size=256)
    return app.handler_map[name](event, context)


def test_a_request_s_correlation_id_is_in_its_logs_and_in_the_events_it_publishes(
    probe: tuple[Chalice, io.StringIO], bus: Bus
) -> None:
    from chalice.test import Client

    app, _ = probe
    with Client(app) as client:
        answer = client.http.post("/orders", headers={"X-Correlation-Id": "req-42"}, body=b"{}")

    assert answer.headers["X-Correlation-Id"] == "req-42"
    assert [detail["correlation_id"] for detail in bus.published()] == ["req-42"]


def test_an_event_handler_serves_under_the_event_s_id_and_hands_it_on(
    probe: tuple[Chalice, io.StringIO], bus: Bus
) -> None:
    app, output = probe
    detail = events.detail(CUSTOMER, correlation_id="req-42")

    invoke(app, "customer_changed", cw_event(detail))

    assert [published["correlation_id"] for published in bus.published()] == ["req-42"]
    lines = log_lines(output)
    assert {line["message"] for line in lines} >= {"event received", "customer remembered"}
    for line in lines:
        assert line["correlation_id"] == "req-42"
        assert line["function_name"] == "probe-customer_changed"
        assert line["function_memory_size"] == 256
        assert "cold_start" in line
    assert observability.correlation_id() == "req-42"  # what this thread served last


def test_a_schedule_starts_a_new_correlation_id_for_each_run(
    probe: tuple[Chalice, io.StringIO], bus: Bus
) -> None:
    app, output = probe
    scheduled = cw_event({}, source="aws.events", name="Scheduled Event")

    invoke(app, "nightly", scheduled)
    invoke(app, "nightly", scheduled)

    first, second = (detail["correlation_id"] for detail in bus.published())
    assert first != second
    started = [line for line in log_lines(output) if line["message"] == "event received, new correlation id"]
    assert [line["correlation_id"] for line in started] == [first, second]


def test_an_event_from_an_older_publisher_without_the_field_is_accepted_under_a_new_id(
    probe: tuple[Chalice, io.StringIO], bus: Bus
) -> None:
    app, _ = probe
    detail = events.detail(CUSTOMER)
    del detail["correlation_id"]

    invoke(app, "customer_changed", cw_event(detail))

    (published,) = bus.published()
    assert observability.CORRELATION_ID.match(published["correlation_id"])
    assert events.received(_chalice_event(cw_event(detail)), CustomerRegistered).correlation_id is None


@pytest.mark.parametrize("bad", [None, 42, "", "has space", "x" * 129, ["req-42"]])
def test_a_correlation_id_present_but_off_the_contract_is_refused_and_counted(
    probe: tuple[Chalice, io.StringIO], bus: Bus, capsys: pytest.CaptureFixture[str], bad: Any
) -> None:
    app, output = probe
    detail = {**events.detail(CUSTOMER), "correlation_id": bad}
    capsys.readouterr()

    with pytest.raises(InvalidEvent, match="correlation_id"):
        invoke(app, "customer_changed", cw_event(detail))

    assert bus.published() == []
    assert observability.emitted(capsys.readouterr().out.splitlines()) == {"EventsRefused": 1}
    assert any(line["message"] == "event refused as off its contract" for line in log_lines(output))


def test_signals_leave_as_one_emf_document_per_invocation_with_service_and_stage(
    probe: tuple[Chalice, io.StringIO], bus: Bus, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _ = probe

    @app.on_cw_event({"source": ["guichet.invoices"]}, name="counting")
    def counting(event: Any) -> None:
        observability.count("PaymentsFailed")
        observability.count("PaymentsFailed")
        observability.count("RefundsDue", 3)
        observability.count("MailsNotSent", 0)  # nothing: no document for it

    capsys.readouterr()
    invoke(app, "counting", cw_event({}, source="guichet.invoices", name="Anything"))
    invoke(app, "nightly", cw_event({}, source="aws.events", name="Scheduled Event"))  # counts nothing

    documents = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(documents) == 1
    (document,) = (json.loads(line) for line in documents)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Guichet"
    assert sorted(directive["Dimensions"][0]) == ["service", "stage"]
    assert document["service"] == "probe"
    assert observability.emitted(documents) == {"PaymentsFailed": 2, "RefundsDue": 3}


def test_a_mail_ses_does_not_take_is_counted_and_still_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.exceptions import ClientError
    from guichet_contracts import mail

    class RefusingSes:
        def send_raw_email(self, **_: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "no"}}, "SendRawEmail")

    monkeypatch.setattr(mail, "_client", RefusingSes())
    message = mail.Email(to="ada@example.com", subject="Hello", text="Hi\n", html="<p>Hi</p>")
    capsys.readouterr()

    with pytest.raises(ClientError):
        mail.send(message, sender="Guichet <no-reply@example.com>")
    observability.flush()

    assert observability.emitted(capsys.readouterr().out.splitlines()) == {"MailsNotSent": 1}


def test_an_unknown_signal_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="PaymentFailed"):
        observability.count("PaymentFailed")


def counted_signals(service: str) -> set[str]:
    """The signals a service's code counts: `observability.count("<name>", ...)` calls."""
    found = set()
    for module in (REPO / "services" / service / "chalicelib").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "count"
                and getattr(node.func.value, "id", None) == "observability"  # type: ignore[attr-defined]
            ):
                found |= _names(node.args[0])
    return found


def _names(argument: ast.expr) -> set[str]:
    """The signal names an argument can be: a string, or either side of `a if test else b`."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return {argument.value}
    if isinstance(argument, ast.IfExp):
        return _names(argument.body) | _names(argument.orelse)
    raise AssertionError(f"a signal is named by a string, not {ast.dump(argument)}")


@pytest.mark.parametrize("service", SERVICES)
def test_every_signal_a_service_counts_is_declared_as_counted_by_it(service: str) -> None:
    """The shared stack alarms on (signal, service) pairs from SIGNALS: a signal counted by a
    service it does not list would never be alarmed on."""
    declared = {signal.name for signal in observability.SIGNALS if service in signal.emitted_by}
    shared = {"MailsNotSent", "EventsRefused"}  # counted in guichet_contracts (mail.py, install)
    assert counted_signals(service) <= declared
    assert declared - shared <= counted_signals(service), "declared but never counted"


def _chalice_event(raw: dict[str, Any]) -> Any:
    from chalice.app import CloudWatchEvent

    return CloudWatchEvent(raw, None)


def test_a_worker_log_over_its_bound_is_moved_aside_when_the_worker_starts(tmp_path: Path) -> None:
    from guichet_local.worker import rotate_log

    log = tmp_path / "invoices.log"
    log.write_text("old\n" * 10)
    (tmp_path / "invoices.log.1").write_text("older\n")

    rotate_log(log, kept=100)  # 40 bytes: kept
    assert log.read_text() == "old\n" * 10
    log.write_text("new\n" * 30)
    rotate_log(log, kept=100)  # 120 bytes: aside, replacing the one before

    assert not log.exists()
    assert (tmp_path / "invoices.log.1").read_text() == "new\n" * 30
