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
from test_browser_invoices import LINA


def test_the_support_lines_and_a_message_sent_to_support(runtime: Any, page: Any) -> None:
    # Given a customer, and the brand the portal reads
    customer = verified_customer(runtime, "assistance", **LINA)
    brand = runtime.get("/brand.json").json()
    assert brand["support"]["phones"]

    # When it opens "Assistance"
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/")
    page.get_by_role("navigation").get_by_role("link", name="Assistance").click()
    page.get_by_role("heading", name="Assistance", level=1).wait_for()

    # Then the brand's lines: each number as dialled, a link to call it, its cost
    lines = page.get_by_role("region", name="Nous appeler")
    for phone in brand["support"]["phones"]:
        call = lines.get_by_role("link", name=phone["national"])
        assert call.get_attribute("href") == f"tel:{phone['number']}"
        cost = "Service et appel gratuits" if phone["cost"] == "free" else phone["cost"]["fr"]
        assert cost in lines.locator(f"li[data-purpose={phone['purpose']}]").inner_text()
    hours = lines.inner_text()
    for opening in brand["support"]["hours"]:
        assert f"{opening['opens']}–{opening['closes']}" in hours
    assert "lundi" in hours
    assert page.get_by_role("link", name="Prendre rendez-vous").get_attribute("href") == "/appointments"

    # a message without a subject: refused next to its field, nothing sent
    page.get_by_label("Sujet").select_option("technical")
    page.get_by_label("Votre message").fill("Ma box redémarre toutes les nuits.\nDepuis lundi.")
    page.get_by_role("button", name="Envoyer le message").click()
    subject = page.get_by_label("Objet")
    page.wait_for_function("() => document.querySelector('[data-field=subject] [aria-invalid=true]')")
    assert subject.get_attribute("aria-invalid") == "true"
    assert runtime.get("/subscriptions/support-messages", headers=customer.auth).json()["items"] == []

    # When it is given one and sent
    subject.fill("Box instable")
    page.get_by_role("button", name="Envoyer le message").click()

    # Then the portal says so and lists it, as the API does
    page.get_by_role("status").filter(has_text="Message envoyé").wait_for()
    mine = page.get_by_role("region", name="Mes messages")
    assert "Box instable" in mine.inner_text() and "Depuis lundi." in mine.inner_text()
    [sent] = runtime.get("/subscriptions/support-messages", headers=customer.auth).json()["items"]
    assert sent["topic"] == "technical" and sent["subject"] == "Box instable"
    assert mine.locator(f"li[data-message='{sent['message_id']}']").count() == 1
    # and support got it, with the customer id in its subject
    support = brand["support"]["email"]
    mailed = [
        mail
        for mail in runtime.mail()
        if customer.customer_id in mail["subject"] and support in str(mail["to"])
    ]
    assert len(mailed) == 1 and "Box instable" in mailed[0]["subject"]
