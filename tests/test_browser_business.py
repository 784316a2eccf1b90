"""Business customers in a real browser (issue 13, point 5): the sign-up's "business" choice shows
the company, SIREN/SIRET and VAT number fields, a wrong check digit is said by the API next to
its field, and the profile turns a person into a business. Found by role and label only."""

from __future__ import annotations

import uuid
from typing import Any

from customers import PASSWORD, open_session, verified_customer
from playwright.sync_api import expect
from portal_locate import definitions
from portal_texts import text


def test_a_business_signs_up_with_its_siren_and_vat_number(runtime: Any, page: Any) -> None:
    page.goto(f"{runtime.url}/register")
    page.get_by_label(text("email"), exact=True).fill(f"atelier-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label(text("password"), exact=True).fill(PASSWORD)
    page.get_by_label(text("first_name"), exact=True).fill("Luc")
    page.get_by_label(text("last_name"), exact=True).fill("Bernard")
    siren = page.get_by_label(text("siren"), exact=True)
    expect(siren).to_be_hidden()  # a person's sign-up has no business fields

    # When "business" is chosen, with a SIREN whose check digit is wrong
    page.get_by_label(text("account_type")).select_option("business")
    page.get_by_label(text("company"), exact=True).fill("Atelier Lumière SAS")
    siren.fill("732 829 321")
    vat = page.get_by_label(text("vat_number"), exact=True)
    vat.fill("FR44732829320")
    expect(vat).to_have_accessible_description(text("vat_number_hint"))  # VIES is not consulted
    page.get_by_role("button", name=text("submit_register")).click()

    # Then the API's words are said next to the SIREN, and corrected the account is created
    expect(siren).to_have_accessible_description(
        "n'est pas un SIREN valide (9 chiffres dont une clé de contrôle)"
    )
    siren.fill("732 829 320")
    page.get_by_role("button", name=text("submit_register")).click()
    expect(page.get_by_role("status").filter(has_text=text("registered"))).to_be_visible()


def test_a_person_becomes_a_business_on_the_profile(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "becomes-business", first_name="Ada", last_name="Martin")
    open_session(page, runtime, customer)
    page.goto(f"{runtime.url}/account")
    page.get_by_role("heading", name=text("profile")).wait_for()

    page.get_by_text(text("edit"), exact=True).click()
    page.get_by_label(text("account_type")).select_option("business")
    page.get_by_label(text("company"), exact=True).fill("Atelier Lumière SAS")
    page.get_by_label(text("siret"), exact=True).fill("732 829 320 00074")
    page.get_by_label(text("vat_number"), exact=True).fill("FR 44 732829320")
    page.get_by_role("button", name=text("save")).first.click()

    profile = page.get_by_role("region", name=text("profile"))
    expect(profile.get_by_role("definition").filter(has_text="FR44732829320")).to_have_count(1)
    shown = definitions(profile)
    assert shown[text("siren")] == "732829320" and shown[text("vat_number")] == "FR44732829320"
    assert shown[text("account_type")] == text("account_business")
    me = runtime.get("/auth/me", headers=customer.auth).json()
    assert (me["account_type"], me["siret"], me["company"]) == (
        "business",
        "73282932000074",
        "Atelier Lumière SAS",
    )
