"""The assistance page of the web portal in a real browser (Debian's Chromium driven by Playwright).

A customer, registered and verified over HTTP, opens "Assistance" from the navigation: the
support lines of the brand (as /brand.json serves them: each number as dialled in France, its
cost) and the opening hours, the link to book an appointment; a message with no subject is
refused next to its field; a message sent shows in "Mes messages", is the API's, and reached the
brand's support address with the customer id in its subject. Found by role and name.
"""

from __future__ import annotations

from typing import Any

from customers import open_session, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_texts import text
from test_browser_invoices import LINA


def test_the_support_lines_and_a_message_sent_to_support(runtime: Any, page: Any) -> None:
    # Given a customer, and the brand the portal reads
    customer = verified_customer(runtime, "assistance", **LINA)
    brand = runtime.get("/brand.json").json()
    assert brand["support"]["phones"]

    # When it opens "Assistance"
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/")
    page.get_by_role("navigation").get_by_role("link", name=text("nav_assistance")).click()
    page.get_by_role("heading", name=text("nav_assistance"), level=1).wait_for()
    # no message sent yet: the list says so
    expect(page.get_by_role("region", name=text("support_messages_title"))).to_contain_text(
        text("support_no_messages")
    )
    assert_accessible(page, "the assistance page, no message sent")

    # Then the brand's lines: each number as dialled, a link to call it, its cost
    lines = page.get_by_role("region", name=text("support_call_title"))
    for phone in brand["support"]["phones"]:
        call = lines.get_by_role("link", name=phone["national"])
        assert call.get_attribute("href") == f"tel:{phone['number']}"
        cost = text("support_free") if phone["cost"] == "free" else phone["cost"]["fr"]
        line = lines.get_by_role("listitem").filter(has=page.get_by_role("link", name=phone["national"]))
        expect(line).to_contain_text(cost)
    hours = lines.inner_text()
    for opening in brand["support"]["hours"]:
        assert f"{opening['opens']}–{opening['closes']}" in hours
    assert "lundi" in hours
    appointment = page.get_by_role("link", name=text("support_appointment_link"))
    assert appointment.get_attribute("href") == "/appointments"

    # a message without a subject: refused next to its field, nothing sent
    page.get_by_label(text("support_topic")).select_option("technical")
    page.get_by_label(text("support_message")).fill("Ma box redémarre toutes les nuits.\nDepuis lundi.")
    page.get_by_role("button", name=text("support_send")).click()
    subject = page.get_by_label(text("support_subject"))
    expect(subject).to_have_attribute("aria-invalid", "true")
    assert runtime.get("/subscriptions/support-messages", headers=customer.auth).json()["items"] == []
    assert_accessible(page, "the message refused without a subject")

    # When it is given one and sent
    subject.fill("Box instable")
    page.get_by_role("button", name=text("support_send")).click()

    # Then the portal says so and lists it, as the API does
    page.get_by_role("status").filter(has_text=text("support_sent")).wait_for()
    mine = page.get_by_role("region", name=text("support_messages_title"))
    assert "Box instable" in mine.inner_text() and "Depuis lundi." in mine.inner_text()
    [sent] = runtime.get("/subscriptions/support-messages", headers=customer.auth).json()["items"]
    assert sent["topic"] == "technical" and sent["subject"] == "Box instable"
    expect(mine.get_by_role("listitem").filter(has_text="Box instable")).to_have_count(1)
    assert_accessible(page, "the message sent, listed")
    # and support got it, with the customer id in its subject
    support = brand["support"]["email"]
    mailed = [
        mail
        for mail in runtime.mail()
        if customer.customer_id in mail["subject"] and support in str(mail["to"])
    ]
    assert len(mailed) == 1 and "Box instable" in mailed[0]["subject"]
