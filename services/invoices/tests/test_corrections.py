"""An ended contract's late readings (ConsumptionCorrected, the consumption service's close that
found them once the final month was billed): a corrective invoice of the complements at each
month's rates, issued once however often the event is delivered; a downward correction is a
credit paid back by transfer to the account on file."""

from __future__ import annotations

import uuid
from typing import Any

from conftest import invoices_in_table, refunds_of, with_mandate
from guichet_local.testing import deliver


def corrected(customer_id: str, *complements: tuple[str, str]) -> Any:
    """ConsumptionCorrected of (month, kWh) complements on the base option at 25.16 c."""
    from guichet_contracts.domain_events.consumption import ConsumptionCorrected

    return ConsumptionCorrected.model_validate(
        {
            "correction_id": f"E{uuid.uuid4().hex[:10]}-2026-11",
            "customer_id": customer_id,
            "meter_id": f"E{customer_id}",
            "subscription_id": f"sub{customer_id}",
            "month": "2026-11",
            "complements": [
                {
                    "month": month,
                    "tariff_option": "base",
                    "rates_cents_per_kwh": {"base": "25.16"},
                    "consumed_kwh": kwh,
                    "peak_kwh": kwh,
                    "off_peak_kwh": "0",
                }
                for month, kwh in complements
            ],
        },
        strict=False,
    )


def test_late_readings_of_an_ended_contract_are_invoiced_once(customer_factory: Any) -> None:
    # Given a customer whose contract ended in October, with 12.5 kWh of October read afterwards
    customer = customer_factory()
    event = corrected(customer.customer_id, ("2026-10", "12.5"))

    # When the correction is delivered twice
    deliver(customer.client, "consumption_corrected", event)
    deliver(customer.client, "consumption_corrected", event)

    # Then one invoice bills them at October's rate: 12.5 × 25.16 = 314.5 → 315 c, + 20 % VAT
    (invoice,) = invoices_in_table(customer.customer_id)
    assert (invoice.kind, invoice.status, invoice.period_start, invoice.period_end) == (
        "invoice",
        "open",
        "2026-10-01",
        "2026-10-31",
    )
    assert [(line.description, line.quantity, line.unit) for line in invoice.lines] == [
        ("Complément Consommation 2026-10", "12.5", "kWh")
    ]
    assert (int(invoice.total_excl_tax_cents), int(invoice.total_cents)) == (315, 378)
    assert list(invoice.subscription_ids) == [f"sub{customer.customer_id}"]


def test_a_downward_correction_of_an_ended_contract_is_paid_back(customer_factory: Any) -> None:
    # Given a customer with an account on file, whose ended contract's September was read 10 kWh too high
    customer = customer_factory()
    with_mandate(customer)

    # When the correction arrives
    deliver(customer.client, "consumption_corrected", corrected(customer.customer_id, ("2026-09", "-10")))

    # Then the credit (10 × 25.16 = 251.6 → 252 c, + VAT = 302 c) goes back by transfer
    (invoice,) = invoices_in_table(customer.customer_id)
    assert int(invoice.total_cents) == -302
    (refund,) = refunds_of(customer.customer_id, invoice.invoice_id)
    assert (refund.method, refund.status, int(refund.amount_cents)) == ("transfer", "succeeded", 302)
