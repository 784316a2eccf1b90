"""What a mobile line's closed allowance period bills: its use beyond the plan.

UsagePeriodClosed (consumption service) says, per unit of the line's plan (GB, min, sms), what
was used beyond the allowance of the period [period_start, period_end) and its price, tax
included. A period with something beyond the plan gets one invoice — one line per unit charged,
VAT at 20 % included in the price — issued once per line and period, however often the event is
delivered; a period within the plan bills nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import invoicing, vat
from .models import Invoice

if TYPE_CHECKING:
    from guichet_contracts.domain_events.consumption import UsagePeriodClosed

TELECOM_TAX_RATE = Decimal("20.0")
# the line's unit is named in the description: the invoice's own unit is "unit" (UN/ECE C62),
# Factur-X knowing no code for these here
UNIT_NAMES = {"GB": "Go de données", "min": "min d'appels", "sms": "SMS"}


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def usage_period_closed(closed: UsagePeriodClosed, *, now: datetime) -> Invoice | None:
    """The period's out-of-plan invoice, or None when nothing lies beyond the plan."""
    if closed.amount_cents <= 0:
        return None
    last_day = closed.period_end - timedelta(days=1)  # the period is [period_start, period_end)
    lines = [
        vat.line_excluding_tax(
            description=(
                f"Hors forfait : {_quantity(charge.beyond)} {UNIT_NAMES.get(charge.unit, charge.unit)} "
                f"du {closed.period_start:%d/%m/%Y} au {last_day:%d/%m/%Y}"
            ),
            quantity=charge.beyond,
            unit="unit",
            unit_price_cents=Decimal(charge.unit_price_cents),
            tax_rate=TELECOM_TAX_RATE,
            tax_included=True,
        )
        for charge in closed.charges
        if charge.amount_cents > 0
    ]
    return invoicing.issue(
        closed.customer_id,
        kind="invoice",
        source=f"USAGE#{closed.subscription_id}#{closed.period_start.isoformat()}",
        lines=lines,
        issued_on=invoicing.local_day(now),
        now=now,
        period=(closed.period_start, last_day),
        subscription_ids=[closed.subscription_id],
        currency=closed.currency,
    )
