"""Every mail of the invoices service, in each language, names the customer id (the customer
quotes it to the provider), in its text and its HTML parts, whatever its variant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "chalicelib" / "templates"
NAMES = sorted(path.stem for path in TEMPLATES.glob("*.j2"))  # one template per message, all languages
CUSTOMER_ID = "lm123456-GU"
CONTEXT = {
    "first_name": "Lina",
    "customer_id": CUSTOMER_ID,
    "number": "F2026-000042",
    "number_list": "F2026-000042",
    "kind_label": "facture",
    "total": "12,00 €",
    "total_due": "12,00 €",
    "amount": "12,00 €",
    "paid": "5,00 €",
    "due_on": "17/03/2026",
    "paid_at": "17/03/2026",
    "debited_on": "05/03/2026",
    "changed_at": "2026-03-17 10:00 UTC",
    "signed_on": "17/03/2026",
    "payment_mode_label": "carte bancaire",
    "method_label": "carte bancaire",
    "method": "tip",
    "reason": "provision insuffisante",
    "payee": "Guichet",
    "reference": "lm123456-GU F2026-000042",
    "address": "10 rue de la Gare\n59000 Lille",
    "iban_masked": "FR76 **** 0189",
    "mandate_reference": "GUICHET-LM123456GU-0001",
    "year": 2026,
    "installment_number": 3,
    "installments_count": 12,
    "days_late": 30,
    "invoice_url": "http://127.0.0.1:8000/invoice?id=in_1",
    "pay_url": "http://127.0.0.1:8000/invoice?id=in_1",
    "schedule_url": "http://127.0.0.1:8000/schedule",
    "bank_url": "http://127.0.0.1:8000/billing",
}
VARIANTS = [
    {
        "stage": 1,
        "cancel_on": "31/03/2026",
        "suspend_on": None,
        "retry_on": "12/03/2026",
        "partly_paid": True,
    },
    {"stage": 3, "cancel_on": None, "suspend_on": "24/04/2026", "retry_on": None, "partly_paid": False},
]
OTHERS = [
    {"will_be_debited": True, "owed_to_you": False, "carried": False, "resale": False, "method": "check"},
    {"will_be_debited": False, "owed_to_you": True, "carried": True, "resale": False, "method": "tip"},
    {"will_be_debited": False, "owed_to_you": True, "carried": False, "resale": True, "method": "transfer"},
]


@pytest.mark.parametrize("language", ["fr", "en", "it"])
@pytest.mark.parametrize("name", NAMES)
def test_every_mail_names_the_customer_id(name: str, language: str) -> None:
    from guichet_contracts import mail

    assert len(NAMES) == 12 and not any(path.is_dir() for path in TEMPLATES.glob("??"))
    for variant in VARIANTS:
        for other in OTHERS:
            email = mail.render(
                TEMPLATES, name, language, "lina@example.org", **{**CONTEXT, **variant, **other}
            )
            assert CUSTOMER_ID in email.text, (name, language, variant, other)
            assert CUSTOMER_ID in email.html, (name, language, variant, other)
            assert email.subject.strip()


@pytest.mark.parametrize(
    "name, language, context, wording",
    [
        ("payment_failed", "fr", {"number_list": "F1"}, "votre facture F1 reste donc à régler"),
        ("payment_failed", "fr", {"number_list": "F1, F2"}, "vos factures F1, F2 restent donc à régler"),
        ("payment_received", "it", {"number_list": "F1, F2"}, "Fatture pagate: F1, F2"),
        ("overdue_reminder", "it", {"stage": 2, "days_late": 1}, "il ritardo è di 1 giorno."),
        ("overdue_reminder", "fr", {"stage": 1, "days_late": 30}, "(30 jours de retard)"),
        ("schedule_installment_debited", "en", {"installment_number": 11}, "There is one instalment left"),
        ("schedule_installment_debited", "it", {"installment_number": 9}, "Restano 3 rate da addebitare"),
    ],
)
def test_a_count_picks_its_wording_by_the_catalog_s_plural_forms(
    name: str, language: str, context: dict[str, object], wording: str
) -> None:
    from guichet_contracts import mail

    values = {**CONTEXT, **VARIANTS[0], **OTHERS[0], **context}
    email = mail.render(TEMPLATES, name, language, "lina@example.org", **values)
    assert wording in " ".join(email.text.split())
    assert wording in " ".join(re.sub(r"<[^>]+>", "", email.html).split())
