"""The portal's forms check what they can before sending (issue 11, point 4), in a real browser:
bad input in the register form (in Italian), the bank details and the support message is said
next to its field in the page's language (the field's accessible description, aria-invalid), the
first wrong field has the focus, and no request leaves the page; once corrected, the form goes
through. Found by role and label only."""

from __future__ import annotations

import re
from typing import Any

from customers import PASSWORD, open_session, verified_customer
from playwright.sync_api import expect


class Requests:
    """The API requests a page sends (fetch and XHR), counted from a moment on."""

    def __init__(self, page: Any) -> None:
        self.sent: list[tuple[str, str]] = []
        page.on("request", self._seen)

    def _seen(self, request: Any) -> None:
        if request.resource_type in ("fetch", "xhr"):
            self.sent.append((request.method, request.url))

    def since(self, mark: int) -> list[tuple[str, str]]:
        return self.sent[mark:]

    def count(self, method: str, path: str, mark: int) -> int:
        """How many `method` requests to `path` were sent since `mark`."""
        return sum(1 for sent, url in self.since(mark) if sent == method and url.split("?")[0].endswith(path))


def test_register_says_each_problem_next_to_its_field_in_italian_and_sends_nothing(
    runtime: Any, page: Any
) -> None:
    requests = Requests(page)
    page.goto(f"{runtime.url}/register")
    page.get_by_role("combobox", name="Langue / Language / Lingua", exact=True).select_option("it")
    form_button = page.get_by_role("button", name="Crea il mio account")
    email = page.get_by_label("Indirizzo email")
    password = page.get_by_label("Password", exact=True)
    first_name = page.get_by_label("Nome", exact=True)
    last_name = page.get_by_label("Cognome")
    phone = page.get_by_label("Telefono")

    # Bad input: an address without its domain, a short password, no first name, a short number
    email.fill("lina@")
    password.fill("corta")
    last_name.fill("Rossi")
    phone.fill("06 12")
    mark = len(requests.sent)
    form_button.click()

    expect(email).to_have_accessible_description(
        "Inserite un indirizzo e-mail completo, per esempio nome@esempio.it."
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(password).to_have_accessible_description(
        "Almeno 12 caratteri, difficile da indovinare: una frase di qualche parola è una buona password. "
        "Almeno 12 caratteri."
    )
    expect(first_name).to_have_accessible_description("Compilate questo campo.")
    expect(phone).to_have_accessible_description(
        "Inserite un numero di telefono: 10 cifre che iniziano con 0, o in formato internazionale (+39…)."
    )
    expect(last_name).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("4 campi da correggere: vedete i messaggi accanto.")
    assert requests.since(mark) == []

    # Once sent, a field corrected is checked again on leaving it; the others keep their message
    email.fill("lina.rossi@example.org")
    email.press("Tab")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("")
    expect(first_name).to_have_accessible_description("Compilate questo campo.")
    assert requests.since(mark) == []

    # Corrected: the form goes through
    password.fill(PASSWORD)
    first_name.fill("Lina")
    phone.fill("+39 06 6982 1234")
    form_button.click()
    expect(page.get_by_role("status").filter(has_text="Account creato")).to_be_visible()
    assert requests.count("POST", "/auth/register", mark) == 1


def test_bank_details_with_a_wrong_iban_are_refused_before_sending(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "form-bank", first_name="Lina", last_name="Martin")
    open_session(page, runtime, customer)
    requests = Requests(page)
    page.goto(f"{runtime.url}/billing")
    iban = page.get_by_label("IBAN")
    bic = page.get_by_label("BIC (facultatif)")
    holder = page.get_by_label("Titulaire du compte")
    save = page.get_by_role("button", name="Enregistrer")

    iban.fill("FR76 3000 6000 0112 3456 7890 188")  # one digit off: the check digits do not match
    bic.fill("BNPA")
    holder.fill("Lina <Martin>")
    mark = len(requests.sent)
    save.click()

    expect(iban).to_be_focused()
    expect(iban).to_have_attribute("aria-invalid", "true")
    wrong_iban = (
        "Cet IBAN n'est pas valide : vérifiez chaque caractère (sa clé de contrôle ne correspond pas)."
    )
    expect(iban).to_have_accessible_description(re.compile(re.escape(wrong_iban) + "$"))  # after its hint
    expect(bic).to_have_accessible_description(
        "Un BIC compte 8 ou 11 lettres et chiffres, par exemple BNPAFRPP."
    )
    expect(holder).to_have_accessible_description(
        "Le titulaire s'écrit en lettres, chiffres, espaces et ' - . & seulement."
    )
    assert requests.since(mark) == []

    iban.fill("FR76 3000 6000 0112 3456 7890 189")
    bic.fill("")
    holder.fill("Lina Martin")
    save.click()
    expect(page.get_by_role("status").filter(has_text="Coordonnées bancaires enregistrées")).to_be_visible()
    assert requests.count("PUT", "/invoices/bank-account", mark) == 1
    saved = runtime.get("/invoices/bank-account", headers=customer.auth).json()
    assert saved["holder"] == "Lina Martin" and saved["iban_masked"].endswith("189")


def test_a_support_message_too_long_or_empty_is_refused_before_sending(runtime: Any, page: Any) -> None:
    customer = verified_customer(runtime, "form-support", first_name="Lina", last_name="Martin")
    open_session(page, runtime, customer)
    requests = Requests(page)
    page.goto(f"{runtime.url}/assistance")
    subject = page.get_by_label("Objet")
    message = page.get_by_label("Votre message")
    send = page.get_by_role("button", name="Envoyer le message")

    subject.fill("x" * 201)  # the API takes 200 characters at most
    mark = len(requests.sent)
    send.click()

    expect(subject).to_be_focused()
    expect(subject).to_have_accessible_description("Au plus 200 caractères.")
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(message).to_have_accessible_description(re.compile("Ce champ est à remplir.$"))  # after its hint
    assert requests.since(mark) == []

    subject.fill("Box instable")
    message.fill("Ma box redémarre toutes les nuits.")
    send.click()
    expect(page.get_by_role("status").filter(has_text="Message envoyé")).to_be_visible()
    [sent] = runtime.get("/subscriptions/support-messages", headers=customer.auth).json()["items"]
    assert sent["subject"] == "Box instable"
    assert requests.count("POST", "/subscriptions/support-messages", mark) == 1


def test_a_page_s_own_filters_are_checked_alike(runtime: Any, page: Any) -> None:
    """The subscriptions' filters (a form the page builds itself, forms.guard): a number of days
    beyond what the API takes is said next to its field and asks nothing; a good one filters."""
    customer = verified_customer(runtime, "form-filters", first_name="Lina", last_name="Martin")
    open_session(page, runtime, customer)
    requests = Requests(page)
    page.goto(f"{runtime.url}/my-subscriptions")
    days = page.get_by_label("Échéance dans les … jours")
    days.fill("4000")
    mark = len(requests.sent)
    page.get_by_role("button", name="Filtrer").click()

    expect(days).to_be_focused()
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_accessible_description("Au plus 3\u202f660.")
    assert requests.count("GET", "/subscriptions", mark) == 0
    assert "expiring_within_days" not in page.url

    days.fill("30")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**/my-subscriptions?expiring_within_days=30")
    expect(days).not_to_have_attribute("aria-invalid", "true")
    assert requests.count("GET", "/subscriptions", mark) >= 1
