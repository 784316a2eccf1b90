"""Ordering as a checkout, and the actions each family of contract offers, in a real browser
(Debian's Chromium driven by Playwright, role-based locators).

A new customer orders a hosting pack: the summary, the terms of sale that must be accepted (their
PDF linked), the button that commits to pay, the card payment on the order's page, the order
followed to completed; an electricity offer shows its kWh prices and its subscription for the
subscribed power chosen. The demo's energy customers see a change of offer and moving home,
never "renew N months" nor an expiry; the demo's mobile customer sees only the plan's own APN,
no proof of address, and "renewed each month" instead of an expiry.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import requests
from customers import open_session, verified_customer
from playwright.sync_api import expect
from portal_axe import assert_accessible
from portal_locate import definitions
from portal_texts import text

DEMO_PASSWORD = "Guichet-demo-2026!"  # services/auth/demo.py
ORDER_BUTTON = "Commander avec obligation de paiement"


def _shopping(runtime: Any, page: Any, path: str) -> Any:
    """A new customer, logged in, on `path` of the portal."""
    customer = verified_customer(runtime, "browser-checkout", first_name="Inès", last_name="Marchal")
    open_session(page, runtime, customer)
    page.goto(runtime.url + path)
    return customer


def _reads_well(page: Any, where: str, tmp_path: Any) -> None:
    """The page's state as the tour checks it (tests/portal_tour.py), at 360 and 1366 px: no
    sideways scrolling, no serious axe-core violation, no raw catalog key."""
    from portal_tour import VIEWPORTS, Findings, catalog_keys, check_state

    findings = Findings()
    for name, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        check_state(
            page, f"{where} at {size['width']} px", findings, catalog_keys(), tmp_path / f"{name}.png"
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not findings.problems, "\n".join(findings.problems)


def _summary_says(page: Any, shown: list[str], *, now: str) -> Any:
    """The order's summary, once it shows these texts and what is paid now."""
    summary = page.get_by_role("region", name=text("order_summary_title"))
    for words in shown:
        expect(summary).to_contain_text(words)
    expect(summary.get_by_role("definition").filter(has_text=now)).not_to_have_count(0)
    assert definitions(summary)[text("summary_total_now")] == now
    return summary


def test_a_customer_orders_a_hosting_pack_accepts_the_terms_pays_and_follows_it(
    runtime: Any, page: Any, tmp_path: Any
) -> None:
    customer = _shopping(runtime, page, "/order")

    # Choose: the hosting packs, one chosen
    page.get_by_role("link", name="Hébergements").click()
    page.get_by_role("link", name="Choisir — Pack hébergement Linux 100 Mo").click()

    # Summary: the line, its price and period, what is paid now and then each month
    summary = _summary_says(page, ["Pack hébergement Linux 100 Mo", "4,99\u00a0€/mois"], now="4,99\u00a0€")
    page.get_by_label("Libellé (facultatif)").fill("Site de l'atelier")
    expect(summary).to_contain_text("Site de l'atelier")

    # The terms of sale are linked (a PDF) and must be accepted: without them nothing is ordered
    terms = page.get_by_role("link", name="(conditions générales de vente, PDF)")
    pdf = requests.get(terms.get_attribute("href") or "", timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page.get_by_role("button", name=ORDER_BUTTON).click()
    accept = page.get_by_role(
        "checkbox", name=re.compile("J'ai lu et j'accepte les conditions générales de vente")
    )
    expect(accept).to_be_focused()
    expect(accept).to_have_attribute("aria-invalid", "true")
    expect(accept).to_have_accessible_description(text("terms_required"))
    _reads_well(page, "the order refused without the terms", tmp_path)
    accept.focus()
    assert runtime.get("/subscriptions/orders", headers=customer.auth).json()["items"] == []

    # Accepted from the keyboard, then "order with obligation to pay"
    page.keyboard.press("Space")
    expect(accept).to_be_checked()
    page.get_by_role("button", name=ORDER_BUTTON).click()
    page.wait_for_url(re.compile(r"/order-status\?id="))
    order_id = page.url.rsplit("id=", 1)[1]
    order = runtime.get(f"/subscriptions/orders/{order_id}", headers=customer.auth).json()
    version = runtime.get("/subscriptions/catalog/terms", headers=customer.auth).json()["version"]
    assert order["terms_version"] == version

    # Pay: the order's invoice, by card, on the order's page
    expect(page.get_by_role("heading", name="Payer votre commande")).to_be_visible(timeout=20_000)
    assert_accessible(page, "the checkout's payment step")
    page.get_by_label("Numéro de carte").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Payer 4,99\u00a0€").click()

    # Follow: the order reaches "completed" by itself, and nothing is left to pay
    history = page.get_by_role("region", name=text("order_history")).get_by_role("listitem")
    expect(history.last).to_have_attribute("aria-current", "step", timeout=30_000)
    expect(history.last).to_contain_text(text("order_status_completed"))
    expect(page.get_by_role("heading", name="Payer votre commande")).to_have_count(0)
    steps = page.get_by_role("list", name="Étapes de la commande")
    expect(steps.get_by_role("listitem").last).to_have_attribute("aria-current", "step")
    assert_accessible(page, "the checkout's follow step, the order completed")


def test_an_electricity_offer_shows_its_kwh_prices_and_its_subscription_for_the_power(
    runtime: Any, page: Any, tmp_path: Any
) -> None:
    _shopping(runtime, page, "/order?family=electricity")

    # Each offer: the kWh at base, peak and off-peak, and the subscription at 6 kVA by default
    offer = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Électricité Essentielle")
    )
    expect(offer).to_contain_text("Prix du kWh (Base) : 0,1952\u00a0€/kWh")
    expect(offer).to_contain_text("Prix du kWh heures pleines : 0,2081\u00a0€/kWh")
    expect(offer).to_contain_text("Prix du kWh heures creuses : 0,1635\u00a0€/kWh")
    expect(offer).to_contain_text("Abonnement 6 kVA : 15,74\u00a0€/mois")

    # Another subscribed power: the catalog's price for it, carried into the order
    page.get_by_label("Puissance souscrite").select_option("9")
    expect(offer).to_contain_text("Abonnement 9 kVA : 19,72\u00a0€/mois")
    offer.get_by_role("link", name=re.compile("^Choisir")).click()
    summary = _summary_says(page, ["9 kVA", "19,72\u00a0€/mois"], now="0,00\u00a0€")
    # the summary's rates follow the tariff option
    page.get_by_label("Option tarifaire").select_option("off_peak")
    expect(summary).to_contain_text("0,1635\u00a0€/kWh")
    expect(summary).not_to_contain_text("(Base)")
    _reads_well(page, "an electricity order's summary", tmp_path)


def test_a_monthly_payer_of_energy_gives_the_sepa_mandate_on_the_orders_page(runtime: Any, page: Any) -> None:
    customer = _shopping(
        runtime, page, "/order?family=electricity&product=electricity-essentielle&power=6#order-form"
    )
    digits = f"{uuid.uuid4().int % 10**14:014d}"

    # An electricity contract paid by monthly debits: nothing now, the mandate at the payment step
    page.get_by_label("Point de livraison (PDL)").fill(digits)
    expect(page.get_by_role("region", name="Récapitulatif de votre commande")).to_contain_text(
        "prélevés chaque mois"
    )
    page.get_by_role("checkbox", name=re.compile("j'accepte les conditions générales de vente")).check()
    page.get_by_role("button", name=ORDER_BUTTON).click()
    page.wait_for_url(re.compile(r"/order-status\?id="))

    # The payment step asks for the bank details; a wrong IBAN is refused next to its field
    expect(page.get_by_role("heading", name="Vos coordonnées bancaires (mandat SEPA)")).to_be_visible()
    assert_accessible(page, "the checkout's mandate step")
    iban = page.get_by_label("IBAN")
    iban.fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_role("button", name="Enregistrer").click()
    expect(iban).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "the mandate refused, a bad IBAN by its field")
    iban.fill("FR7630006000011234567890189")
    page.get_by_role("button", name="Enregistrer").click()

    # Signed: the order goes on to completed by itself
    history = page.get_by_role("region", name=text("order_history")).get_by_role("listitem")
    expect(history.last).to_have_attribute("aria-current", "step", timeout=30_000)
    expect(history.last).to_contain_text(text("order_status_completed"))

    # The contract then changes its subscribed power (from next month), never "renews N months"
    page.get_by_role("link", name="Électricité Essentielle").click()
    page.wait_for_url(re.compile(r"/subscription\?id="))
    subscription_id = page.url.rsplit("id=", 1)[1]
    change = page.get_by_role("region", name=text("energy_change_title"))
    change.wait_for()
    expect(page.get_by_role("heading", name="Renouveler")).to_have_count(0)
    assert_accessible(page, "an electricity contract")
    change.get_by_label("Puissance souscrite").select_option("9")
    change.get_by_role("button", name="Enregistrer le changement").click()
    expect(
        page.get_by_text("Changement enregistré : il prend effet le 1er du mois prochain.")
    ).to_be_visible()
    assert_accessible(page, "an electricity contract's change saved")
    changed = runtime.get(f"/subscriptions/{subscription_id}", headers=customer.auth).json()
    assert changed["options"]["subscribed_power_kva"] == 9


def _log_in(page: Any, base_url: str, who: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Identifiant client, e-mail ou téléphone").fill(f"{who}@demo.guichet.test")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _first_contract(page: Any, base_url: str, family_title: str) -> None:
    page.goto(base_url + "/my-subscriptions")
    family = page.get_by_role("region", name=family_title)
    expect(family).to_be_visible()
    family.get_by_role("table").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/subscription\?id="))


def test_energy_contracts_offer_a_change_and_moving_home_never_a_renewal(
    demo_runtime: Any, page: Any
) -> None:
    for who in ("stockage", "verte"):
        _log_in(page, demo_runtime.url, who)
        page.goto(demo_runtime.url + "/my-subscriptions")
        contracts = page.get_by_role("region", name="Gestion de vos contrats d'électricité")
        expect(contracts).to_contain_text("Contrat sans date de fin")
        _first_contract(page, demo_runtime.url, "Gestion de vos contrats d'électricité")

        expect(
            page.get_by_role("heading", name="Changer d'offre, de puissance ou d'heures creuses")
        ).to_be_visible()
        expect(page.get_by_role("heading", name="Vous déménagez ?")).to_be_visible()
        expect(page.get_by_role("link", name="Souscrire la même offre à ma nouvelle adresse")).to_be_visible()
        expect(page.get_by_role("heading", name="Renouveler")).to_have_count(0)
        expect(page.get_by_role("button", name="Renouveler")).to_have_count(0)
        expect(page.get_by_role("checkbox", name="Renouvellement automatique")).to_have_count(0)
        expect(page.get_by_label("Puissance souscrite")).to_be_visible()
        assert_accessible(page, f"the electricity contract of {who}@")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(re.compile(r"/login"))


def test_a_mobile_plan_shows_its_own_apn_no_proof_of_address_and_never_expires(
    demo_runtime: Any, page: Any
) -> None:
    _log_in(page, demo_runtime.url, "mobile")
    page.goto(demo_runtime.url + "/my-subscriptions")
    lines = page.get_by_role("region", name="Gestion de vos lignes mobiles")
    expect(lines).to_contain_text("Renouvelé chaque mois, sans engagement")
    expiring = page.get_by_role("region", name=text("dashboard_expiring"))
    expect(expiring.get_by_role("link", name=re.compile("Forfait"))).to_have_count(0)
    assert_accessible(page, "the subscriptions of a mobile customer")
    _first_contract(page, demo_runtime.url, "Gestion de vos lignes mobiles")

    apn = page.get_by_label("Point d'accès (APN)")
    expect(apn.get_by_role("option")).to_have_count(1)
    expect(apn).to_have_value("internet")
    documents = page.get_by_role("region", name=text("documents"))
    expect(documents).to_contain_text("Contrat d'abonnement")
    expect(documents).not_to_contain_text("Justificatif de domicile")
    expect(page.get_by_role("heading", name="Vous déménagez ?")).to_have_count(0)
    assert_accessible(page, "a mobile plan")


def test_an_invoice_held_by_an_unfinished_3d_secure_payment_can_be_finished_or_paid_again(
    runtime: Any, page: Any
) -> None:
    from test_browser_invoices import LINA, invoices_of_orders
    from test_browser_stripe import as_stripe_stage, awaiting_3ds

    customer = verified_customer(runtime, "browser-pay-again", **LINA)
    (invoice,) = invoices_of_orders(runtime, customer.auth, 1)
    open_session(page, runtime, customer)
    # a Stripe stage (Stripe.js stood in for: no internet here) where the invoice is held by a card
    # payment whose 3-D Secure was never completed, as GET /invoices/{id} then says
    as_stripe_stage(page)
    held = awaiting_3ds(invoice, "pay_20261123_000000000002", "pi_789_secret_012")

    def held_invoice(route: Any) -> None:
        answer = route.fetch().json()
        answer.update(pending_payment_id=held["payment_id"], pending_payment=held)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    page.route(re.compile(rf"/invoices/{invoice['invoice_id']}$"), held_invoice)

    # Given the invoice's page: it says a card payment awaits the bank, and offers both ways out
    page.goto(f"{runtime.url}/invoice?id={invoice['invoice_id']}")
    expect(page.get_by_text(re.compile("attend encore la validation de votre banque"))).to_be_visible()
    again = page.get_by_role("button", name="Payer à nouveau")
    expect(again).to_have_attribute("aria-expanded", "false")
    assert_accessible(page, "an invoice held by an unfinished 3-D Secure payment")

    # When the customer pays again, the payment form opens
    again.click()
    expect(again).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name=re.compile("^Payer \\d"))).to_be_visible()
    assert_accessible(page, "the payment form open to pay again")

    # When they finish the payment instead, Stripe.js authenticates the one left waiting
    page.get_by_role("button", name="Terminer le paiement").click()
    expect(
        page.get_by_role("main").get_by_role("status").filter(has_text=text("payment_confirming"))
    ).to_be_visible()
    assert_accessible(page, "the unfinished payment finished")
    assert ["handleNextAction", "pi_789_secret_012"] in page.evaluate("window.stripeCalls")
