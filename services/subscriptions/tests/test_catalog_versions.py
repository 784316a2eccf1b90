"""The catalog as versioned operator data (catalog_versions.py, price_changes.py, docs/LIFECYCLE.md):
an operator client with `catalog:write` puts whole catalogs, each different one a version; new
orders take the version in force at once, running subscriptions at their renewal, and dearer terms
only at a renewal a month after the customer was told by mail.

The table lives as long as the session: every test puts catalog.json's own document back when it
ends (`catalog` fixture), and works with products few other tests use, in years of its own.
"""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from conftest import (
    SERVICE_DIR,
    Customer,
    assert_answer_documented,
    electricity_options,
    job_ran_until,
    mails_to,
    order_and_pay,
    orders_of,
    pay,
    place_order,
    set_renewal,
    subscription_of,
)
from guichet_local.testing import Signer, answer, assert_error

FILE = json.loads((SERVICE_DIR / "chalicelib" / "catalog.json").read_text(encoding="utf-8"))
LINE = "mobile-150go-5g"  # 1599 a month, auto-renewed
WITHDRAWN = "mobile-pro-300go-5g"
ENERGY = "electricity-boost-mon-surplus"


def document(**prices: int) -> dict[str, Any]:
    """catalog.json's document with these products' prices (product id with _ for -)."""
    changed = copy.deepcopy(FILE)
    for item in changed["products"]:
        key = item["product_id"].replace("-", "_")
        if key in prices:
            item["price_cents"] = prices[key]
    return changed


def with_product(base: dict[str, Any], product_id: str, **fields: Any) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    for item in changed["products"]:
        if item["product_id"] == product_id:
            item.update(fields)
    return changed


class Operator:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        payload = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        response = self.client.http.request(
            method,
            path,
            headers={"authorization": f"Bearer {token or self.token}", "content-type": "application/json"},
            body=payload,
        )
        assert_answer_documented(method, path, response)
        return response

    def put(self, body: Any) -> Any:
        return self.call("PUT", "/operator/catalog", body)

    def current(self) -> dict[str, Any]:
        response = self.call("GET", "/operator/catalog")
        assert response.status_code == 200, response.body
        return dict(answer(response))


@pytest.fixture
def catalog(client: Any, signer: Signer) -> Iterator[Operator]:
    """An operator client allowed to write the catalog; catalog.json's document is put back after."""
    operator = Operator(client, signer.operator_token("catalog:write", operator_id="client-pim"))
    yield operator
    restored = operator.put(restoring(operator.current()["document"]))
    assert restored.status_code in (200, 201), restored.body


def restoring(current: dict[str, Any]) -> dict[str, Any]:
    """catalog.json's document, with the products a test added withdrawn (never removed)."""
    known = {item["product_id"] for item in FILE["products"]}
    added = [item for item in current["products"] if item["product_id"] not in known]
    return {**FILE, "products": [*FILE["products"], *({**item, "withdrawn": True} for item in added)]}


def listed_price(customer: Customer, product_id: str) -> int | None:
    items = answer(customer.call("GET", "/catalog"))["items"]
    return next((item["price_cents"] for item in items if item["product_id"] == product_id), None)


def at(day: date, hour: int = 0, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# ---- the operator routes --------------------------------------------------------------------


def test_a_catalog_is_checked_field_by_field_and_nothing_is_stored_when_it_is_wrong(
    catalog: Operator,
) -> None:
    # Given the version in force
    before = catalog.current()["version"]
    wrong = copy.deepcopy(FILE)
    wrong["products"][1]["price_cents"] = -1
    wrong["products"][2]["colour"] = "blue"
    wrong["products"][3]["product_id"] = wrong["products"][0]["product_id"]
    energy = next(i for i, item in enumerate(wrong["products"]) if item["family"] == "electricity")
    del wrong["products"][energy]["energy_rates_cents_per_kwh"]
    wrong["products"][energy]["price_cents"] += 1  # no longer the reference power's

    # When an operator puts it, and a body that is not JSON, and one leaving a product out
    refused = catalog.put(wrong)
    broken = catalog.put(b'{\n  "currency": "EUR",\n  "products": [\n    {"product_id": }\n  ]\n}')
    shorter = catalog.put({**FILE, "products": FILE["products"][1:]})

    # Then each problem is named by its field, the syntax error by its line, and nothing is stored
    fields = assert_error(refused, 422, "validation_failed")["fields"]
    assert set(fields) == {
        "products.1.price_cents",
        "products.2.colour",
        "products.3.product_id",
        f"products.{energy}.energy_rates_cents_per_kwh",
        f"products.{energy}.price_cents",
    }, fields
    assert "line 4" in assert_error(broken, 400, "malformed_request")["message"].replace("ligne", "line")
    assert (
        FILE["products"][0]["product_id"]
        in assert_error(shorter, 422, "validation_failed", "products")["fields"]["products"]
    )
    assert catalog.current()["version"] == before


def test_an_electricity_offer_states_its_taxes_and_no_other_offer_does(catalog: Operator) -> None:
    # Given an electricity offer without its CTA, one with a CTA above 100 %, and a hosting offer
    # stating an accise
    before = catalog.current()["version"]
    wrong = copy.deepcopy(FILE)
    energy = [i for i, item in enumerate(wrong["products"]) if item["family"] == "electricity"]
    other = next(i for i, item in enumerate(wrong["products"]) if item["family"] == "hosting")
    del wrong["products"][energy[0]]["cta_rate_percent"]
    wrong["products"][energy[1]]["cta_base_percent"] = 140
    wrong["products"][other]["accise_cents_per_kwh"] = 3.085

    # When an operator puts it
    refused = catalog.put(wrong)

    # Then each is named by its field, and nothing is stored
    fields = assert_error(refused, 422, "validation_failed")["fields"]
    assert set(fields) == {
        f"products.{energy[0]}.cta_rate_percent",
        f"products.{energy[1]}.cta_base_percent",
        f"products.{other}.accise_cents_per_kwh",
    }, fields
    assert catalog.current()["version"] == before


@pytest.fixture
def audit_log() -> Iterator[list[logging.LogRecord]]:
    """The records the catalog routes log at INFO (the tests' level is WARNING otherwise)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("subscriptions.chalicelib.catalog_api")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_same_catalog_twice_makes_one_version_kept_with_its_client_and_changes(
    catalog: Operator, audit_log: list[logging.LogRecord]
) -> None:
    # Given a catalog where one line costs more, and the history as it is
    dearer = document(mobile_150go_5g=1899)
    before = answer(catalog.call("GET", "/operator/catalog/versions?limit=100"))["items"]

    # When the operator puts it twice
    first = catalog.put(dearer)
    second = catalog.put(dearer)

    # Then the first made a version, the second answered it
    assert first.status_code == 201, first.body
    assert second.status_code == 200, second.body
    made = answer(first)
    assert answer(second) == made
    assert (made["client_id"], made["changed"]) == ("client-pim", [LINE])
    current = catalog.current()
    assert current["version"] == made["version"]
    assert next(p for p in current["document"]["products"] if p["product_id"] == LINE)["price_cents"] == 1899
    # and the history has it once, newest first
    after = answer(catalog.call("GET", "/operator/catalog/versions?limit=100"))["items"]
    assert after[0] == made and len(after) == len(before) + 1
    # and each put was logged with the operator client's id
    assert [(r.getMessage(), r.client_id) for r in audit_log] == [
        ("operator put the catalog", "client-pim")
    ] * 2


def test_two_operators_putting_at_once_make_two_versions_and_lose_neither(
    catalog: Operator, app: Any, concurrent_app: Any, signer: Signer
) -> None:
    # Given the version in force and two operator clients, each with a catalog of its own
    from conftest import new_client

    base = catalog.current()["version"]
    token = signer.operator_token("catalog:write", operator_id="client-pim")
    first, second = (Operator(new_client(app), token) for _ in range(2))

    # When they put their catalogs at the same moment
    answers = concurrent_app(
        lambda: first.put(document(mobile_150go_5g=1701)), lambda: second.put(document(mobile_150go_5g=1702))
    )

    # Then each made a version of its own, one after the other, and the later one is in force
    assert [a.status_code for a in answers] == [201, 201], [a.body for a in answers]
    versions = sorted(answer(a)["version"] for a in answers)
    assert versions == [base + 1, base + 2]
    later = next(i for i, a in enumerate(answers) if answer(a)["version"] == base + 2)
    current = catalog.current()
    assert current["version"] == base + 2
    price = next(p["price_cents"] for p in current["document"]["products"] if p["product_id"] == LINE)
    assert price == (1701, 1702)[later]


def test_one_product_is_put_by_its_path(catalog: Operator, customer_factory: Any) -> None:
    # Given the catalog in force
    product = next(item for item in FILE["products"] if item["product_id"] == LINE)

    # When an operator puts that product with another price, then with a wrong field
    put = catalog.call("PUT", f"/operator/catalog/products/{LINE}", {**product, "price_cents": 1699})
    wrong = catalog.call("PUT", f"/operator/catalog/products/{LINE}", {**product, "billing_period": "week"})
    other = catalog.call("PUT", "/operator/catalog/products/autre", product)
    yearly = catalog.call("PUT", f"/operator/catalog/products/{LINE}", {**product, "billing_period": "year"})

    # Then the catalog has the new price, and the wrong ones are refused by field
    assert put.status_code == 201 and answer(put)["changed"] == [LINE], put.body
    assert listed_price(customer_factory(), LINE) == 1699
    assert_error(wrong, 422, "validation_failed", "billing_period")
    assert_error(other, 422, "validation_failed", "product_id")
    assert_error(yearly, 422, "validation_failed", "billing_period")  # its lines are monthly


def test_only_an_operator_allowed_to_write_the_catalog_reads_or_writes_it(
    catalog: Operator, customer_factory: Any, signer: Signer
) -> None:
    # Given a customer and an operator allowed only subscriptions
    customer = customer_factory()
    other_scope = signer.operator_token("subscriptions:write")
    version = catalog.current()["version"]

    for method, path, body in (
        ("PUT", "/operator/catalog", document(mobile_150go_5g=1)),
        ("PUT", f"/operator/catalog/products/{LINE}", {"price_cents": 1}),
        ("GET", "/operator/catalog", None),
        ("GET", "/operator/catalog/versions", None),
    ):
        # When each calls the catalog's operator routes
        as_customer = catalog.call(method, path, body, token=customer.token)
        as_other = catalog.call(method, path, body, token=other_scope)

        # Then 401 and 403
        assert_error(as_customer, 401, "unauthenticated")
        assert_error(as_other, 403, "insufficient_scope")
    # and nothing changed
    assert catalog.current()["version"] == version


# ---- what a version changes -----------------------------------------------------------------


def test_a_withdrawn_product_is_neither_listed_nor_orderable_and_its_contracts_run_on(
    catalog: Operator, customer_factory: Any
) -> None:
    # Given a customer with a line of an offer
    customer = customer_factory()
    line = order_and_pay(customer, WITHDRAWN, "Pro")["subscription_id"]

    # When the operator withdraws the offer
    put = catalog.put(with_product(FILE, WITHDRAWN, withdrawn=True))
    assert put.status_code == 201, put.body

    # Then it is no longer listed nor orderable, and the line runs on
    assert listed_price(customer, WITHDRAWN) is None
    assert_error(place_order(customer, [{"product_id": WITHDRAWN}]), 422, "unknown_product", "product_id")
    assert subscription_of(customer, line)["status"] == "active"
    assert (
        customer.call("POST", f"/{line}/renew", {"periods": 1}, headers={"idempotency-key": line}).status_code
        == 201
    )


def test_new_orders_take_the_new_price_at_once_and_running_subscriptions_keep_theirs(
    catalog: Operator, customer_factory: Any
) -> None:
    # Given a customer with a line at 15.99 a month
    customer = customer_factory()
    running = order_and_pay(customer, LINE, "Ancienne")
    assert running["price_cents"] == 1599

    # When the operator puts a catalog where it costs 17.99
    assert catalog.put(document(mobile_150go_5g=1799)).status_code == 201

    # Then the catalog shows 17.99, a new order costs 17.99, and the running line still 15.99
    assert listed_price(customer, LINE) == 1799
    placed = place_order(customer, [{"product_id": LINE, "label": "Nouvelle"}])
    assert answer(placed)["total_cents"] == 1799
    pay(customer, answer(placed)["order_id"])
    created = answer(customer.call("GET", f"/orders/{answer(placed)['order_id']}"))["items"][0]
    assert subscription_of(customer, created["subscription_id"])["price_cents"] == 1799
    assert subscription_of(customer, running["subscription_id"])["price_cents"] == 1599


def test_a_dearer_price_is_told_a_month_ahead_and_applies_at_the_first_renewal_after(
    catalog: Operator, customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    from chalicelib import price_changes, renewals

    # Given, on 10 March 2061, a line at 15.99 whose period ends on 20 March
    customer = customer_factory()
    line = order_and_pay(customer, LINE, "Perso")["subscription_id"]
    set_renewal(customer, line, date(2061, 3, 20))

    # When the operator makes it 17.99, and the daily job runs that morning, and again
    assert catalog.put(document(mobile_150go_5g=1799)).status_code == 201
    price_changes.send_price_notices(at(date(2061, 3, 10), 5, 0))
    price_changes.send_price_notices(at(date(2061, 3, 10), 5, 0))

    # Then the customer is told once, with the customer id, of the new price from 20 April
    (notice,) = mails_to(mailbox, customer.email, "Nouveau prix")
    assert customer.customer_id in notice["text"]
    assert "20 avril 2061" in notice["subject"] and "17,99" in notice["text"] and "15,99" in notice["text"]

    # When the period ends on 20 March (less than a month after the notice), renewed and paid
    job_ran_until("expire_and_renew", date(2061, 3, 19))
    renewals.expire_and_renew(at(date(2061, 3, 20)))
    first = [order for order in orders_of(customer) if order["kind"] == "renewal"]
    pay(customer, first[0]["order_id"])

    # Then that renewal is at the old price, and the line still costs 15.99
    assert first[0]["total_cents"] == 1599
    assert subscription_of(customer, line)["price_cents"] == 1599

    # When the reminders go a week before the next renewal, on 20 April (a month after the notice)
    assert subscription_of(customer, line)["renews_on"] == "2061-04-20"
    job_ran_until("renewal_reminders", date(2061, 4, 12))
    renewals.send_reminders(at(date(2061, 4, 13), 5, 0))

    # Then the reminder names the price it renews at
    (reminder,) = mails_to(mailbox, customer.email, "sera renouvelé")
    assert "17,99" in reminder["text"] and "15,99" not in reminder["text"]

    # When that period ends
    job_ran_until("expire_and_renew", date(2061, 4, 19))
    renewals.expire_and_renew(at(date(2061, 4, 20)))
    second = next(order for order in orders_of(customer) if order["kind"] == "renewal")
    pay(customer, second["order_id"])

    # Then the renewal is at the new price, which the line costs from then on
    assert second["total_cents"] == 1799
    assert subscription_of(customer, line)["price_cents"] == 1799


def test_a_cheaper_price_applies_at_the_next_renewal_without_notice(
    catalog: Operator, customer_factory: Any, mailbox: Any, fresh_jobs: None
) -> None:
    from chalicelib import price_changes, renewals

    # Given a line at 15.99 whose period ends on 20 May 2062, and a catalog where it costs 12.99
    customer = customer_factory()
    line = order_and_pay(customer, LINE, "Moins cher")["subscription_id"]
    set_renewal(customer, line, date(2062, 5, 20))
    assert catalog.put(document(mobile_150go_5g=1299)).status_code == 201

    # When the daily jobs run on the 20th
    price_changes.send_price_notices(at(date(2062, 5, 20), 5, 0))
    job_ran_until("expire_and_renew", date(2062, 5, 19))
    renewals.expire_and_renew(at(date(2062, 5, 20)))

    # Then nobody was told (nothing gets dearer) and the renewal is at the lower price
    assert mails_to(mailbox, customer.email, "Nouveau prix") == []
    renewal = next(order for order in orders_of(customer) if order["kind"] == "renewal")
    assert renewal["total_cents"] == 1299


def test_an_energy_contract_keeps_its_rates_until_the_renewal_a_month_after_the_notice(
    catalog: Operator, customer_factory: Any, mailbox: Any, published: Any, fresh_jobs: None
) -> None:
    from chalicelib import price_changes, renewals

    # Given an electricity contract at 9 kVA (20.98 a month, base 19.52 c/kWh) renewing on 5 June 2063
    customer = customer_factory()
    contract = order_and_pay(customer, ENERGY, "Maison", electricity_options(tariff_option="base"))
    sid = contract["subscription_id"]
    assert contract["price_cents"] == 2098
    set_renewal(customer, sid, date(2063, 6, 5))

    # When the operator raises the offer's rates and prices, and the notices go on 1 June
    product = next(item for item in FILE["products"] if item["product_id"] == ENERGY)
    rates = {"base": 21.5, "peak": 22.8, "off_peak": 17.9}
    by_power = {power: cents + 100 for power, cents in product["price_cents_by_power_kva"].items()}
    dearer = with_product(
        FILE,
        ENERGY,
        energy_rates_cents_per_kwh=rates,
        price_cents_by_power_kva=by_power,
        price_cents=by_power["6"],
    )
    assert catalog.put(dearer).status_code == 201
    price_changes.send_price_notices(at(date(2063, 6, 1), 5, 0))

    # Then the customer is told of the new price and rates from 5 July, with the customer id
    (notice,) = mails_to(mailbox, customer.email, "Nouveau prix")
    assert "5 juillet 2063" in notice["subject"] and customer.customer_id in notice["text"]
    assert "Base : 0,215" in notice["text"] and "au lieu de 0,1952" in notice["text"]

    # When the contract renews in place on 5 June, then on 5 July
    job_ran_until("expire_and_renew", date(2063, 6, 4))
    renewals.expire_and_renew(at(date(2063, 6, 5)))
    june = subscription_of(customer, sid)
    renewals.expire_and_renew(at(date(2063, 7, 5)))

    # Then June's period keeps the old terms and July's takes the new ones, as the events say
    assert june["price_cents"] == 2098
    assert subscription_of(customer, sid)["price_cents"] == 2198
    told = [
        (event["detail"]["data"]["period_start"], event["detail"]["data"]["subscription"])
        for event in published.of(customer.customer_id, "SubscriptionRenewed")
    ]
    assert [
        (start, state["price_cents"], state["tariff"]["energy_rates_cents_per_kwh"]["base"])
        for start, state in told
    ] == [("2063-06-05", 2098, "19.52"), ("2063-07-05", 2198, "21.5")]


def test_a_new_product_put_by_its_path_is_listed_with_the_catalogs_defaults(
    catalog: Operator, customer_factory: Any
) -> None:
    # Given an offer the catalog does not have, its id only in the path, its commitment left out
    offer = {
        "billing_period": "year",
        "description": "0",
        "family": "domain",
        "name": "Pack",
        "price_cents": 1490,
    }

    # When an operator puts it
    put = catalog.call("PUT", "/operator/catalog/products/domain-pack-test", offer)

    # Then it is a new version, listed with no commitment, as the document says of a left-out one
    assert put.status_code == 201, put.body
    listed = customer_factory().call("GET", "/catalog?family=domain")
    item = next(item for item in answer(listed)["items"] if item["product_id"] == "domain-pack-test")
    assert (item["commitment_months"], item["currency"]) == (0, "EUR")


def test_reading_the_catalog_imports_no_validation() -> None:
    # Given a process of its own with the service's environment
    probe = (
        "import sys; from chalicelib import catalog_versions; "
        "catalog = catalog_versions.load(0); "
        "print(len(catalog.products), 'pydantic' in sys.modules)"
    )

    # When it reads catalog.json (what routes and events that only read the catalog do)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=SERVICE_DIR, capture_output=True, text=True, check=True
    )

    # Then the products are there and pydantic was not imported for them (its import is paid by
    # the routes that validate a body)
    assert result.stdout.split() == [str(len(FILE["products"])), "False"], result.stderr
