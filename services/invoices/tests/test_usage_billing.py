"""A mobile line's allowance period closed (UsagePeriodClosed, from the consumption service): what
was used beyond the plan is invoiced — one invoice per line and period, however often the event
comes, its prices including 20 % VAT — and a period within the plan bills nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import time_machine
from conftest import invoices_in_table
from guichet_local.testing import deliver


def period_closed(customer_id: str, subscription_id: str, **changes: Any) -> Any:
    """UsagePeriodClosed as the consumption service sends it: the period from 15 October to
    15 November 2026 of a line with 50 GB (2.5 beyond, at 5 € a GB), unlimited calls and 100 texts
    (7 beyond, at 0.10 €)."""
    from guichet_contracts.domain_events.consumption import UsagePeriodClosed

    data = {
        "customer_id": customer_id,
        "subscription_id": subscription_id,
        "period_start": "2026-10-15",
        "period_end": "2026-11-15",
        "charges": [
            {
                "unit": "GB",
                "included": "50",
                "used": "52.5",
                "beyond": "2.5",
                "unit_price_cents": 500,
                "amount_cents": 1250,
            },
            {
                "unit": "min",
                "included": None,
                "used": "431",
                "beyond": "0",
                "unit_price_cents": 0,
                "amount_cents": 0,
            },
            {
                "unit": "sms",
                "included": "100",
                "used": "107",
                "beyond": "7",
                "unit_price_cents": 10,
                "amount_cents": 70,
            },
        ],
        "amount_cents": 1320,
        "currency": "EUR",
        **changes,
    }
    return UsagePeriodClosed.model_validate(data, strict=False)


def pdf_stored(key: str) -> bool:
    import boto3
    from chalicelib.settings import settings

    stored = boto3.client("s3").get_object(Bucket=settings.pdf_bucket, Key=key)
    return bool(stored["Body"].read().startswith(b"%PDF"))


NOV_16 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_use_beyond_the_plan_is_invoiced_tax_included(customer_factory: Any) -> None:
    # Given a mobile line whose period from 15 October to 15 November went beyond its plan
    customer = customer_factory()
    line = f"sub{uuid.uuid4().hex[:10]}"

    # When its UsagePeriodClosed arrives, on 16 November 2026
    with time_machine.travel(NOV_16, tick=False):
        deliver(customer.client, "usage_period_closed", period_closed(customer.customer_id, line))

    # Then one invoice bills each unit charged, 13.20 € tax included (VAT 20 %), for the period
    (invoice,) = invoices_in_table(customer.customer_id)
    assert (invoice.kind, invoice.status, invoice.issued_on) == ("invoice", "open", "2026-11-16")
    assert (invoice.period_start, invoice.period_end) == ("2026-10-15", "2026-11-14")
    assert (list(invoice.subscription_ids), invoice.source) == ([line], f"USAGE#{line}#2026-10-15")
    assert (invoice.total_cents, invoice.amount_due_cents) == (1320, 1320)
    assert list(invoice.tax_breakdown) == [{"rate": "20", "base_cents": 1100, "tax_cents": 220}]
    assert [(item.description, item.quantity, item.total_excl_tax_cents) for item in invoice.lines] == [
        ("Hors forfait : 2,5 Go de données du 15/10/2026 au 14/11/2026", "2.5", 1042),
        ("Hors forfait : 7 SMS du 15/10/2026 au 14/11/2026", "7", 58),
    ]
    # and its Factur-X PDF was made
    assert pdf_stored(invoice.pdf_key)


def test_a_period_delivered_again_is_invoiced_once(customer_factory: Any) -> None:
    # Given a period closed beyond its plan
    customer = customer_factory()
    event = period_closed(customer.customer_id, f"sub{uuid.uuid4().hex[:10]}")

    # When its event arrives three times
    with time_machine.travel(NOV_16, tick=False):
        for _ in range(3):
            deliver(customer.client, "usage_period_closed", event)

    # Then there is one invoice
    assert len(invoices_in_table(customer.customer_id)) == 1


def test_each_period_of_a_line_gets_its_own_invoice(customer_factory: Any) -> None:
    # Given a line beyond its plan two periods running
    customer = customer_factory()
    line = f"sub{uuid.uuid4().hex[:10]}"

    # When both periods are closed
    with time_machine.travel(NOV_16, tick=False):
        deliver(customer.client, "usage_period_closed", period_closed(customer.customer_id, line))
        deliver(
            customer.client,
            "usage_period_closed",
            period_closed(customer.customer_id, line, period_start="2026-11-15", period_end="2026-12-15"),
        )

    # Then each has its invoice
    periods = sorted(invoice.period_start for invoice in invoices_in_table(customer.customer_id))
    assert periods == ["2026-10-15", "2026-11-15"]


def test_a_period_within_the_plan_bills_nothing(customer_factory: Any) -> None:
    # Given a period that stayed within the plan
    customer = customer_factory()
    within = period_closed(
        customer.customer_id,
        f"sub{uuid.uuid4().hex[:10]}",
        charges=[
            {
                "unit": "GB",
                "included": "50",
                "used": "12.5",
                "beyond": "0",
                "unit_price_cents": 500,
                "amount_cents": 0,
            }
        ],
        amount_cents=0,
    )

    # When its event arrives
    with time_machine.travel(NOV_16, tick=False):
        deliver(customer.client, "usage_period_closed", within)

    # Then no invoice
    assert invoices_in_table(customer.customer_id) == []


def test_an_event_whose_amount_is_not_its_charges_is_refused(customer_factory: Any) -> None:
    # Given a UsagePeriodClosed whose amount is not the sum of its charges
    import pytest
    from guichet_contracts.events import InvalidEvent, detail
    from guichet_local.testing import deliver_detail

    customer = customer_factory()
    event = period_closed(customer.customer_id, f"sub{uuid.uuid4().hex[:10]}")
    document = detail(event)
    document["data"]["amount_cents"] = 999

    # When it is delivered
    # Then the handler refuses it (it is dead-lettered), and nothing is invoiced
    with pytest.raises(InvalidEvent):
        deliver_detail(customer.client, "usage_period_closed", event.source(), event.name, document)
    assert invoices_in_table(customer.customer_id) == []
