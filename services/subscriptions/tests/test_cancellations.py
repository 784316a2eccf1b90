"""Cancellation as French law asks of a contract concluded online (docs/LIFECYCLE.md): confirmed by
mail with its effective date, withdrawable until a planned one takes effect, and, when immediate,
the unused days of a period paid in advance credited (SubscriptionCancelled.refund), by the day.

Each test works on days of its own: the subscription's period is set (`set_renewal`) and the
request is made at a fixed time (time-machine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from conftest import (
    Customer,
    electricity_options,
    mails_to,
    order_and_pay,
    orders_of,
    set_renewal,
    subscription_of,
)
from guichet_local.testing import answer, assert_error


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def on_day(customer: Customer, day: date, method: str, path: str, body: Any = None) -> Any:
    """The customer's request at noon on `day`, with an access token issued then."""
    from conftest import SIGNER

    with time_machine.travel(at_noon(day), tick=False):
        fresh = replace(customer, token=SIGNER.token(customer.customer_id))
        return fresh.call(method, path, body)


def cancel(customer: Customer, subscription_id: str, at: str, on: date) -> Any:
    return on_day(customer, on, "POST", f"/{subscription_id}/cancel", {"reason": "Je déménage", "at": at})


def withdraw(customer: Customer, subscription_id: str, on: date) -> Any:
    return on_day(customer, on, "DELETE", f"/{subscription_id}/cancel")


def test_an_immediate_cancellation_credits_the_unused_days_and_is_confirmed_by_mail(
    customer_factory: Any, published: Any, mailbox: Any
) -> None:
    # Given a 9.99 € monthly line whose period runs from 20 April to 20 May 2061 (30 days)
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne de Léa")["subscription_id"]
    set_renewal(customer, line, date(2061, 5, 20))

    # When it is cancelled immediately on 10 May
    response = cancel(customer, line, "immediately", date(2061, 5, 10))

    # Then it is cancelled that day, its last day of service
    assert response.status_code == 200, response.body
    assert (answer(response)["status"], answer(response)["cancel_at"]) == ("cancelled", "2061-05-10")
    # and the nine days from 11 to 19 May are credited: 9.99 € × 9 / 30 = 3.00 €
    (event,) = published.of(customer.customer_id, "SubscriptionCancelled")
    data = event["detail"]["data"]
    assert (data["ended_on"], data["immediate"], data["reason"]) == ("2061-05-10", True, "Je déménage")
    assert data["refund"] == {
        "period_start": "2061-04-20",
        "period_end": "2061-05-20",
        "days_in_period": 30,
        "days": 9,
        "price_cents": 999,
        "amount_cents": 300,
        "currency": "EUR",
    }
    # and the customer is told so in writing, once, with the date, the refund and their customer id
    (mail,) = mails_to(mailbox, customer.email, "résiliation")
    assert "10 mai 2061" in mail["text"] and "3,00" in mail["text"] and customer.customer_id in mail["text"]


def test_an_energy_contract_cancelled_at_once_has_nothing_to_credit(
    customer_factory: Any, published: Any
) -> None:
    # Given an electricity contract (billed in arrears, by the month)
    customer = customer_factory()
    contract = order_and_pay(customer, "electricity-essentielle", "Maison", electricity_options())
    set_renewal(customer, contract["subscription_id"], date(2061, 7, 1))

    # When it is cancelled immediately on 12 June 2061
    assert cancel(customer, contract["subscription_id"], "immediately", date(2061, 6, 12)).status_code == 200

    # Then its last day is that day and nothing is credited: the month is billed as consumed
    (event,) = published.of(customer.customer_id, "SubscriptionCancelled")
    assert (event["detail"]["data"]["ended_on"], event["detail"]["data"]["refund"]) == ("2061-06-12", None)


def test_a_planned_cancellation_is_confirmed_with_its_date_and_can_be_withdrawn_until_then(
    customer_factory: Any, published: Any, mailbox: Any, fresh_jobs: None
) -> None:
    # Given a monthly line whose period ends on 15 September 2062, cancelled at the end of it on 1 September
    from chalicelib import renewals

    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    set_renewal(customer, line, date(2062, 9, 15))
    planned = cancel(customer, line, "end_of_period", date(2062, 9, 1))
    assert (answer(planned)["status"], answer(planned)["cancel_at"], answer(planned)["auto_renew"]) == (
        "active",
        "2062-09-15",
        False,
    )
    (confirmation,) = mails_to(mailbox, customer.email, "résiliation")
    assert "15 septembre 2062" in confirmation["text"] and "14 septembre 2062" in confirmation["text"]

    # When the customer withdraws it on 14 September
    withdrawn = withdraw(customer, line, date(2062, 9, 14))

    # Then it runs on, renewing by itself as its offer says, and the customer is told
    assert withdrawn.status_code == 200, withdrawn.body
    assert (answer(withdrawn)["cancel_at"], answer(withdrawn)["auto_renew"]) == (None, True)
    (mail,) = mails_to(mailbox, customer.email, "continue")
    assert "15 septembre 2062" in mail["text"] and customer.customer_id in mail["text"]
    # and on the day its period ends the job renews it instead of cancelling it
    outcome = renewals.expire_and_renew(now=datetime(2062, 9, 15, 0, 30, tzinfo=UTC))
    assert (outcome["cancelled"], outcome["renewal_orders"]) == (0, 1)
    assert published.of(customer.customer_id, "SubscriptionCancelled") == []
    assert [order["kind"] for order in orders_of(customer)] == ["renewal", "purchase"]


def test_a_cancellation_cannot_be_withdrawn_once_it_took_effect_or_when_none_is_planned(
    customer_factory: Any, fresh_jobs: None
) -> None:
    # Given a line cancelled at the end of its period (16 October 2063), and one never cancelled
    from chalicelib import renewals

    customer = customer_factory()
    ending = order_and_pay(customer, "mobile-50go", "Fin")["subscription_id"]
    running = order_and_pay(customer, "mobile-50go", "Continue")["subscription_id"]
    set_renewal(customer, ending, date(2063, 10, 16))
    cancel(customer, ending, "end_of_period", date(2063, 10, 2))

    # When the cancellation took effect, then the customer tries to withdraw it; and withdraws nothing
    renewals.expire_and_renew(now=datetime(2063, 10, 16, 0, 30, tzinfo=UTC))
    too_late = withdraw(customer, ending, date(2063, 10, 16))
    nothing = withdraw(customer, running, date(2063, 10, 16))

    # Then both are refused, and nothing changed
    assert_error(too_late, 409, "forbidden_transition", "status")
    assert_error(nothing, 409, "forbidden_transition", "status")
    assert subscription_of(customer, ending)["status"] == "cancelled"
    assert subscription_of(customer, running)["cancel_at"] is None


def test_a_cancellation_asks_for_no_reason(customer_factory: Any, published: Any, mailbox: Any) -> None:
    # Given a monthly line (French law: cancelling online asks for nothing but the contract)
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne de Léa")["subscription_id"]
    set_renewal(customer, line, date(2061, 5, 20))

    # When it is cancelled immediately without a reason
    response = on_day(customer, date(2061, 5, 10), "POST", f"/{line}/cancel", {"at": "immediately"})

    # Then it is cancelled, the event says no reason rather than an empty one, and it is confirmed by mail
    assert response.status_code == 200, response.body
    assert answer(response)["status"] == "cancelled"
    (event,) = published.of(customer.customer_id, "SubscriptionCancelled")
    assert (event["detail"]["version"], event["detail"]["data"]["reason"]) == (2, None)
    (mail,) = mails_to(mailbox, customer.email, "résiliation")
    assert customer.customer_id in mail["text"]


def test_a_cancellation_is_confirmed_in_writing_by_a_pdf_attached_to_its_mail_and_among_the_documents(
    customer_factory: Any, mailbox: Any
) -> None:
    import base64

    # Given a monthly line whose period ends on 15 March 2063
    customer = customer_factory()
    line = order_and_pay(customer, "mobile-50go", "Ligne")["subscription_id"]
    set_renewal(customer, line, date(2063, 3, 15))
    kinds = [item["kind"] for item in answer(customer.call("GET", f"/{line}/documents"))["items"]]
    assert "cancellation" not in kinds  # nothing to confirm yet

    # When its holder cancels it at the end of the period on 2 March
    assert cancel(customer, line, "end_of_period", date(2063, 3, 2)).status_code == 200

    # Then the confirmation mail carries the written confirmation as a PDF: the request's time
    # (noon in Paris), the effective date, the last day, the customer id and the dossier number
    (mail,) = mails_to(mailbox, customer.email, "résiliation")
    assert "jointe à ce message (PDF)" in mail["text"]
    (attachment,) = mail["attachments"]
    assert attachment["content_type"] == "application/pdf" and attachment["filename"].endswith(".pdf")
    pdf = base64.b64decode(attachment["base64"])
    text = pdf_words(pdf)
    for expected in (
        "Confirmation de résiliation",
        "le 2 mars 2063, 12:00 la demande de résiliation",
        "Date d'effet 15 mars 2063",
        "Dernier jour de service 14 mars 2063",
        customer.customer_id,
    ):
        assert expected in text
    # And the same PDF is among the subscription's documents
    kinds = [item["kind"] for item in answer(customer.call("GET", f"/{line}/documents"))["items"]]
    assert kinds[-1] == "cancellation"
    link = answer(on_day(customer, date(2063, 3, 3), "GET", f"/{line}/documents/cancellation"))
    from urllib.parse import unquote, urlsplit

    import boto3
    from chalicelib.settings import settings

    key = unquote(urlsplit(link["url"]).path).lstrip("/").removeprefix(f"{settings.documents_bucket}/")
    stored = boto3.client("s3").get_object(Bucket=settings.documents_bucket, Key=key)["Body"].read()
    assert stored == pdf

    # When the cancellation is withdrawn, the confirmation leaves the documents; asked again, a new one
    assert withdraw(customer, line, date(2063, 3, 5)).status_code == 200
    kinds = [item["kind"] for item in answer(customer.call("GET", f"/{line}/documents"))["items"]]
    assert "cancellation" not in kinds
    response = on_day(customer, date(2063, 3, 5), "GET", f"/{line}/documents/cancellation")
    assert_error(response, 404, "not_found")
    assert cancel(customer, line, "immediately", date(2063, 3, 6)).status_code == 200
    latest = mails_to(mailbox, customer.email, "résiliation")[0]
    again = base64.b64decode(latest["attachments"][0]["base64"])
    assert again != pdf
    again_text = pdf_words(again)
    assert "a pris effet immédiatement : le 6 mars 2063 est le dernier jour de service" in again_text
    assert "Montant crédité" in again_text  # the nine unused days of the period paid in advance


def pdf_words(content: bytes) -> str:
    """A PDF's text as a reader extracts it, whitespace collapsed."""
    import io

    import pypdf

    return " ".join(
        " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages).split()
    )


def test_a_contract_ordered_here_records_its_order_and_the_terms_accepted(customer_factory: Any) -> None:
    from conftest import SIGNER, idempotency_key, pay

    # Given the terms of sale in force, accepted with an order placed at noon on 4 April 2061
    customer = customer_factory()
    version = answer(customer.call("GET", "/catalog/terms"))["version"]
    line = {"product_id": "mobile-50go", "label": "Ligne", "options": {}}
    with time_machine.travel(at_noon(date(2061, 4, 4)), tick=False):
        fresh = replace(customer, token=SIGNER.token(customer.customer_id))
        body = {"items": [line], "terms_version": version}
        placed = fresh.call("POST", "/orders", body, headers=idempotency_key())
    assert placed.status_code == 201, placed.body
    order_id = answer(placed)["order_id"]

    # When the order is paid and the line provisioned
    pay(customer, order_id)
    (item,) = answer(customer.call("GET", f"/orders/{order_id}"))["items"]

    # Then the subscription records that order, when it was placed and the terms accepted with it
    subscription = answer(customer.call("GET", f"/{item['subscription_id']}"))
    assert subscription["accepted"] == {
        "order_id": order_id,
        "at": "2061-04-04T10:00:00Z",
        "terms_version": version,
    }
