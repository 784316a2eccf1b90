"""Contracts imported by the provider (contract_import.py): one over the API or a file of them (CSV
or JSON Lines), idempotent by the provider's own id, each row validated like an order's line and
reported with its line number; then subscriptions like the others, announced so that the other
services measure and bill them from where the provider's billing stops."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import Customer, assert_answer_documented, electricity_options, subscription_of
from guichet_local.testing import Signer, answer, assert_error

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the import's moment: the 1st of December, Paris
HEADER = (
    "external_id,customer_id,customer_external_id,product_id,label,status,started_on,renews_on,"
    "ended_on,billed_until,pdl,subscribed_power_kva,tariff_option,off_peak_hours\n"
)


class Operator:
    """The provider's systems, calling the operator routes with a token of `scopes`."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> Any:
        headers = {
            "authorization": f"Bearer {self.token}",
            "content-type": content_type,
            "accept-language": "en",
        }
        response = self.client.http.request(method, path, headers=headers, body=body or b"")
        return response

    def put(self, customer_id: str, external_id: str, body: dict[str, Any]) -> Any:
        path = f"/operator/customers/{customer_id}/subscriptions/{external_id}"
        response = self.request("PUT", path, json.dumps(body).encode())
        assert_answer_documented(
            "PUT", "/operator/customers/{customer_id}/subscriptions/{external_id}", response
        )
        return response

    def get(self, customer_id: str, external_id: str) -> Any:
        response = self.request("GET", f"/operator/customers/{customer_id}/subscriptions/{external_id}")
        assert_answer_documented(
            "GET", "/operator/customers/{customer_id}/subscriptions/{external_id}", response
        )
        return response

    def submit(self, content: str, content_type: str = "text/csv") -> Any:
        response = self.request("POST", "/operator/subscriptions/imports", content.encode(), content_type)
        assert_answer_documented("POST", "/operator/subscriptions/imports", response)
        return response

    def imported(self, content: str, content_type: str = "text/csv", *, at: datetime = NOW) -> dict[str, Any]:
        """Submit a file, run the job as of `at`, and read the whole report."""
        submitted = self.submit(content, content_type)
        assert submitted.status_code == 202, submitted.body
        run_job(self.client, at)
        import_id = answer(submitted)["import_id"]
        report = self.request("GET", f"/operator/subscriptions/imports/{import_id}")
        assert_answer_documented("GET", "/operator/subscriptions/imports/{import_id}", report)
        assert report.status_code == 200, report.body
        return dict(answer(report))


def run_job(client: Any, at: datetime) -> Any:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.lambda_.invoke("apply_contract_imports", event).payload


@pytest.fixture
def operator(client: Any, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> Operator:
    from chalicelib import contract_import_api

    monkeypatch.setattr(contract_import_api, "_now", lambda: NOW)
    return Operator(client, signer.operator_token("subscriptions:write"))


def new_id(tag: str = "ctr") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


def pdl_digits() -> str:
    return electricity_options()["pdl"].replace(" ", "")


def hosting(**changes: Any) -> dict[str, Any]:
    """A hosting contract the provider billed until 2026-12-19: its period ends 2026-12-20."""
    return {
        "product_id": "hosting-linux-100",
        "label": "Site vitrine",
        "status": "active",
        "started_on": "2025-03-20",
        "renews_on": "2026-12-20",
        **changes,
    }


def energy(pdl: str, **changes: Any) -> dict[str, Any]:
    """An electricity contract since 2024, billed by the provider until the end of November."""
    return {
        "product_id": "electricity-essentielle",
        "status": "active",
        "started_on": "2024-02-01",
        "renews_on": "2027-02-01",
        "billed_until": "2026-11-30",
        "options": {"pdl": pdl, "subscribed_power_kva": 9, "tariff_option": "base"},
        **changes,
    }


def by_line(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {line["line"]: line for line in report["items"]}


# --- one contract over the API --------------------------------------------------------------------


def test_a_contract_put_twice_is_created_once_and_announced_once(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given a customer and the provider's hosting contract of them
    customer = customer_factory()
    external_id = new_id()

    # When the provider puts it, then puts the same again
    first = operator.put(customer.customer_id, external_id, hosting())
    again = operator.put(customer.customer_id, external_id, hosting())

    # Then it is created once, with the provider's period, and the second changes nothing
    assert first.status_code == 201, first.body
    created = answer(first)
    assert (created["result"], created["status"], created["started_on"], created["renews_on"]) == (
        "created",
        "active",
        "2025-03-20",
        "2026-12-20",
    )
    assert created["imported"] == {
        "imported_on": "2026-12-01",
        "billed_from": "2026-12-20",
        "commitment_ends_on": None,
    }
    assert created["auto_renew"] is True  # a monthly offer renews by itself
    assert again.status_code == 200 and answer(again)["result"] == "unchanged"
    assert answer(again)["subscription_id"] == created["subscription_id"]
    # announced once, as an import Guichet bills from the end of the provider's period
    (activated,) = published.of(customer.customer_id, "SubscriptionActivated")
    assert activated["detail"]["version"] == 2
    assert (activated["detail"]["data"]["origin"], activated["detail"]["data"]["billed_from"]) == (
        "import",
        "2026-12-20",
    )
    # the customer sees it like any subscription, and the operator reads it back by the provider's id
    assert subscription_of(customer, created["subscription_id"])["imported"]["imported_on"] == "2026-12-01"
    assert (
        answer(operator.get(customer.customer_id, external_id))["subscription_id"]
        == created["subscription_id"]
    )


def test_a_changed_contract_updates_through_the_service_transitions(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given an imported active hosting contract
    customer = customer_factory()
    external_id = new_id()
    created = answer(operator.put(customer.customer_id, external_id, hosting()))

    # When the provider suspends it, then cancels it that day
    suspended = operator.put(customer.customer_id, external_id, hosting(status="suspended", label="Vitrine"))
    cancelled = operator.put(
        customer.customer_id,
        external_id,
        hosting(status="cancelled", label="Vitrine", renews_on=None, ended_on="2026-12-01"),
    )

    # Then each is an update with the service's own events: suspended by an operator, cancelled
    # on its last day, with nothing credited (the provider billed that period)
    assert answer(suspended)["result"] == "updated" and answer(suspended)["status"] == "suspended"
    assert answer(suspended)["label"] == "Vitrine"
    assert answer(cancelled)["status"] == "cancelled" and answer(cancelled)["ended_on"] == "2026-12-01"
    (suspension,) = published.of(customer.customer_id, "SubscriptionSuspended")
    assert suspension["detail"]["data"]["reason"] == "operator"
    (cancellation,) = published.of(customer.customer_id, "SubscriptionCancelled")
    assert (cancellation["detail"]["data"]["ended_on"], cancellation["detail"]["data"]["refund"]) == (
        "2026-12-01",
        None,
    )
    assert answer(cancelled)["subscription_id"] == created["subscription_id"]

    # When the provider would bring it back to active
    back = operator.put(customer.customer_id, external_id, hosting())

    # Then it is refused as the transition it is, and it stays cancelled
    assert_error(back, 409, "forbidden_transition")
    assert subscription_of(customer, created["subscription_id"])["status"] == "cancelled"


def test_a_contract_of_another_customer_answers_as_a_missing_one(
    customer_factory: Any, operator: Operator
) -> None:
    # Given a contract of one customer
    owner, other = customer_factory(), customer_factory()
    external_id = new_id()
    assert operator.put(owner.customer_id, external_id, hosting()).status_code == 201

    # When the operator names another customer with its id
    read = operator.get(other.customer_id, external_id)
    put = operator.put(other.customer_id, external_id, hosting(label="Autre"))

    # and names a customer this service does not know
    unknown = operator.put("zz999999-GU", new_id(), hosting())

    # Then each answers 404, and the contract stays its owner's only
    assert_error(read, 404, "not_found")
    assert_error(put, 404, "not_found")
    assert_error(unknown, 404, "not_found")
    assert answer(other.call("GET", "/"))["items"] == []
    assert answer(operator.get(owner.customer_id, external_id))["label"] == "Site vitrine"


def test_a_period_the_service_renewed_since_is_not_moved_back_by_an_older_row(
    customer_factory: Any, operator: Operator
) -> None:
    # Given an imported hosting plan whose period was extended since (to 2027-01-20)
    from conftest import set_renewal

    customer = customer_factory()
    external_id = new_id()
    created = answer(operator.put(customer.customer_id, external_id, hosting()))
    set_renewal(customer, created["subscription_id"], date(2027, 1, 20))

    # When the provider sends the row again with another label and its older period
    changed = operator.put(customer.customer_id, external_id, hosting(label="Nouveau"))

    # Then the label changes and the period stays the newer one
    assert (answer(changed)["label"], answer(changed)["renews_on"]) == ("Nouveau", "2027-01-20")


def test_an_ended_contract_ends_by_the_day_it_is_imported(customer_factory: Any, operator: Operator) -> None:
    customer = customer_factory()

    later = operator.put(customer.customer_id, new_id(), hosting(status="cancelled", ended_on="2026-12-31"))
    ended = operator.put(customer.customer_id, new_id(), hosting(status="expired", ended_on="2026-10-31"))

    assert_error(later, 422, "validation_failed", "ended_on")
    assert ended.status_code == 201 and answer(ended)["status"] == "expired"
    assert answer(ended)["ended_on"] == "2026-10-31"


def test_what_an_import_cannot_change_is_refused(customer_factory: Any, operator: Operator) -> None:
    # Given an imported hosting plan and an imported electricity contract
    customer = customer_factory()
    hosting_id, energy_id, pdl = new_id(), new_id(), pdl_digits()
    operator.put(customer.customer_id, hosting_id, hosting())
    operator.put(customer.customer_id, energy_id, energy(pdl))

    # When the provider changes the plan's product, the contract's power, and the contract's label
    product = operator.put(customer.customer_id, hosting_id, hosting(product_id="hosting-linux-1000"))
    power = operator.put(
        customer.customer_id,
        energy_id,
        energy(pdl, options={"pdl": pdl, "subscribed_power_kva": 12, "tariff_option": "base"}),
    )
    label = operator.put(customer.customer_id, energy_id, energy(pdl, label="Maison de vacances"))

    # Then the product and the power are refused (a plan change is the customer's), the label updated
    assert_error(product, 422, "validation_failed", "product_id")
    assert_error(power, 422, "validation_failed", "options")
    assert answer(label)["result"] == "updated" and answer(label)["label"] == "Maison de vacances"


def test_an_imported_energy_contract_takes_its_point_and_is_billed_from_the_provider_stop(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given two customers and a point of delivery
    holder, other = customer_factory(), customer_factory()
    pdl = pdl_digits()

    # When the provider imports the first one's contract on it, then another contract of the same point
    first = operator.put(holder.customer_id, new_id(), energy(pdl))
    second = operator.put(other.customer_id, new_id(), energy(pdl))

    # Then the first holds it, billed from 1 December; the second is refused as an order would be
    assert first.status_code == 201, first.body
    contract = answer(first)["contract"]
    assert (contract["pdl"], contract["subscribed_power_kva"], contract["payment_mode"]) == (
        pdl,
        9,
        "monthly",
    )
    (activated,) = published.of(holder.customer_id, "SubscriptionActivated")
    assert activated["detail"]["data"]["billed_from"] == "2026-12-01"
    assert activated["detail"]["data"]["subscription"]["started_on"] == "2024-02-01"
    assert_error(second, 409, "delivery_point_taken", "options.pdl")
    assert published.of(other.customer_id, "SubscriptionActivated") == []


def test_a_point_taken_between_the_check_and_the_write_is_refused_not_taken_twice(
    customer_factory: Any, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a point held by a contract imported a moment ago, which a second import's check missed
    from chalicelib import contract_import

    holder, other = customer_factory(), customer_factory()
    pdl = pdl_digits()
    assert operator.put(holder.customer_id, new_id(), energy(pdl)).status_code == 201
    monkeypatch.setattr(contract_import, "_point_holders", lambda pdls: {})

    # When the second contract of that point is written
    second = operator.put(other.customer_id, new_id(), energy(pdl))

    # Then the point's conditional write refuses it
    assert_error(second, 409, "delivery_point_taken", "options.pdl")


def test_a_file_whose_transaction_is_refused_is_written_row_by_row(
    customer_factory: Any, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a point taken by a contract a moment ago, which the file's check misses, and a file of
    # three contracts written in one transaction, the second on that point
    from chalicelib import contract_import

    holder, customer = customer_factory(), customer_factory()
    taken = pdl_digits()
    assert operator.put(holder.customer_id, new_id(), energy(taken)).status_code == 201
    monkeypatch.setattr(contract_import, "_point_holders", lambda pdls: {})
    rows = [
        {"external_id": new_id(), "customer_id": customer.customer_id, **energy(pdl)}
        for pdl in (pdl_digits(), taken, pdl_digits())
    ]

    # When the file is imported
    report = operator.imported("\n".join(json.dumps(row) for row in rows) + "\n", "application/jsonl")

    # Then the transaction refused as a whole is replayed row by row: only the second is rejected
    assert [line["status"] for line in report["items"]] == ["created", "rejected", "created"]
    assert report["items"][1]["fields"] == {"options.pdl": "is supplied under another running contract"}


def test_an_immediate_cancellation_credits_no_day_the_provider_billed(
    customer_factory: Any, operator: Operator, published: Any, route_clock: Any
) -> None:
    # Given an imported hosting contract whose period the provider billed until the 20th
    customer = customer_factory()
    subscription_id = answer(operator.put(customer.customer_id, new_id(), hosting()))["subscription_id"]

    # When its customer cancels it at once, on the 1st (19 days of the period left)
    route_clock(NOW)
    cancelled = customer.call("POST", f"/{subscription_id}/cancel", {"reason": "Départ", "at": "immediately"})

    # Then it is cancelled, and nothing is credited: Guichet was never paid for that period
    assert cancelled.status_code == 200, cancelled.body
    (event,) = published.of(customer.customer_id, "SubscriptionCancelled")
    assert event["detail"]["data"]["refund"] is None


def test_a_plan_change_credits_no_day_the_provider_billed(
    customer_factory: Any, operator: Operator, published: Any, route_clock: Any
) -> None:
    # Given an imported hosting plan whose period the provider billed until the 20th
    customer = customer_factory()
    subscription_id = answer(operator.put(customer.customer_id, new_id(), hosting()))["subscription_id"]

    # When its customer moves to the bigger plan on the 1st
    route_clock(NOW)
    changed = customer.call("PATCH", f"/{subscription_id}", {"product_id": "hosting-linux-1000"})

    # Then the new plan's days are charged, and nothing of the old plan is credited
    assert changed.status_code == 200, changed.body
    (event,) = published.of(customer.customer_id, "SubscriptionChanged")
    assert event["detail"]["data"]["credit"] is None
    assert event["detail"]["data"]["charge"]["days"] == 19


# --- files ------------------------------------------------------------------------------------


def test_a_file_reports_each_bad_row_by_line_and_imports_the_good_ones(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given a customer known by the provider's id, and one by Guichet's
    provider_id = new_id("crm")
    by_provider_id = customer_factory(external_id=provider_id)
    by_guichet_id = customer_factory()
    pdl = pdl_digits()
    ids = [new_id() for _ in range(7)]
    rows = [
        f"{ids[0]},,{provider_id},electricity-essentielle,Maison,active,2024-02-01,2027-02-01,,2026-11-30,{pdl},9,off_peak,22:00-06:00\n",
        f"{ids[1]},{by_guichet_id.customer_id},,hosting-linux-100,,active,2025-03-20,2026-12-20,,,,,,\n",
        f"{ids[2]},,crm-nobody,hosting-linux-100,,active,2025-03-20,2026-12-20,,,,,,\n",
        f"{ids[3]},{by_guichet_id.customer_id},,hosting-unknown,,active,2025-03-20,2026-12-20,,,,,,\n",
        f"{ids[4]},{by_guichet_id.customer_id},,electricity-essentielle,,active,2024-02-01,2027-02-01,,2026-11-30,123,9,base,\n",
        f"{ids[5]},{by_guichet_id.customer_id},,hosting-linux-100,,cancelled,2025-03-20,,,,,,,\n",
        f"{ids[1]},{by_guichet_id.customer_id},,hosting-linux-100,,active,2025-03-20,2026-12-20,,,,,,\n",
        f"{ids[6]},{by_guichet_id.customer_id},,hosting-linux-100,,active,2025-03-20,2026-11-20,,,,,,\n",
        "only,three,cells\n",
    ]

    # When the file is imported
    report = operator.imported(HEADER + "".join(rows))

    # Then the two good rows are created and every other is reported on its line, by column
    lines = by_line(report)
    assert (report["status"], report["rows"], report["created"], report["rejected"]) == ("done", 9, 2, 7)
    assert lines[2]["status"] == "created" and lines[2]["customer_id"] == by_provider_id.customer_id
    assert lines[3]["status"] == "created"
    assert lines[4]["fields"] == {"customer_external_id": "is not a customer the service knows"}
    assert lines[5]["fields"] == {"product_id": "is not in the catalog"}
    assert set(lines[6]["fields"]) == {"pdl"}
    assert lines[7]["fields"] == {"ended_on": "is required"}
    assert lines[8]["fields"] == {"external_id": "is already on line 3"}
    assert lines[9]["fields"] == {"renews_on": "must be after 2026-12-01"}
    assert set(lines[10]["fields"]) == {"line"}
    meter_customer = published.of(by_provider_id.customer_id, "SubscriptionActivated")
    assert [e["detail"]["data"]["subscription"]["contract"]["off_peak_hours"] for e in meter_customer] == [
        [{"start": "22:00", "end": "06:00"}]
    ]


def test_the_same_file_twice_changes_nothing_and_announces_nothing_again(
    customer_factory: Any, operator: Operator, published: Any
) -> None:
    # Given a file of two contracts of a customer, imported once (JSON Lines)
    customer = customer_factory()
    rows = [
        {"external_id": new_id(), "customer_id": customer.customer_id, **hosting()},
        {"external_id": new_id(), "customer_id": customer.customer_id, **energy(pdl_digits())},
    ]
    content = "\n".join(json.dumps(row) for row in rows) + "\n"
    first = operator.imported(content, "application/jsonl")
    events = published.of(customer.customer_id)

    # When the same file is imported again, then with one label changed
    second = operator.imported(content, "application/jsonl")
    rows[0]["label"] = "Nouveau nom"
    third = operator.imported("\n".join(json.dumps(row) for row in rows) + "\n", "application/jsonl")

    # Then the second import changes nothing and publishes nothing; the third updates one row
    assert (first["created"], second["unchanged"], second["created"]) == (2, 2, 0)
    assert (third["updated"], third["unchanged"]) == (1, 1)
    assert len(published.of(customer.customer_id)) == len(events) == 2
    listed = {s["label"] for s in answer(customer.call("GET", "/"))["items"]}
    assert "Nouveau nom" in listed


def test_a_file_that_cannot_be_read_is_refused_whole(operator: Operator) -> None:
    assert_error(operator.submit("external_id,colour\nx,blue\n"), 422, "validation_failed", "columns.colour")
    assert_error(operator.submit("", "text/csv"), 422, "validation_failed", "file")
    assert operator.submit('{"a": 1}', "application/json").status_code == 415


# --- who may ------------------------------------------------------------------------------------


def test_the_routes_refuse_customer_tokens_and_operators_without_the_scope(
    customer_factory: Any, client: Any, signer: Signer
) -> None:
    customer: Customer = customer_factory()
    external_id = new_id()
    as_customer = Operator(client, customer.token)
    wrong_scope = Operator(client, signer.operator_token("customers:write"))

    assert_error(as_customer.put(customer.customer_id, external_id, hosting()), 401, "unauthenticated")
    assert_error(wrong_scope.put(customer.customer_id, external_id, hosting()), 403, "insufficient_scope")
    assert_error(wrong_scope.submit(HEADER), 403, "insufficient_scope")
    assert_error(as_customer.get(customer.customer_id, external_id), 401, "unauthenticated")
    assert answer(customer.call("GET", "/"))["items"] == []
