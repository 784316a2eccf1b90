"""Every service's emails wear the provider's brand (name, colours, legal identity, support lines
and hours) and speak from message catalogs: a second brand, in a folder of its own, renders an
email of each service with nothing of Guichet left; a brand's text overrides reword a message;
each catalog translates every message its templates ask for."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
from guichet_contracts import catalogs, formatting, mail
from guichet_contracts.brand import copy_brand, load_brand, national

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "services"
SHARED = Path(mail.__file__).parent / "templates"
GUICHET_COLOURS = set(json.loads((ROOT / "brand" / "brand.json").read_text())["colours"].values())
# one email of each service, with what its sender gives it
EMAILS = {
    "auth": (
        "password_reset",
        {
            "first_name": "Lina",
            "customer_id": "lm123456-VF",
            "reset_url": "https://volt.test/reset-password?token=t",
            "expires_minutes": 30,
        },
    ),
    "invoices": (
        "invoice_issued",
        {
            "first_name": "Lina",
            "customer_id": "lm123456-VF",
            "kind_label": "facture",
            "number": "F2026-000042",
            "total": formatting.money(2088, "EUR", "fr"),
            "due_on": formatting.day("2026-12-05", "fr"),
            "payment_mode_label": "carte bancaire",
            "invoice_url": "https://volt.test/invoice?id=in_1",
            "owed_to_you": False,
            "will_be_debited": False,
            "resale": False,
            "carried": False,
        },
    ),
    "subscriptions": (
        "order_received",
        {
            "first_name": "Lina",
            "customer_id": "lm123456-VF",
            "order_id": "ord_1",
            "items": [
                {
                    "name": "Fibre 1 Gb/s",
                    "label": "Fibre 1 Gb/s",
                    "periods": 1,
                    "billing_period": "month",
                    "price": formatting.money(2999, "EUR", "fr"),
                }
            ],
            "total": formatting.money(2999, "EUR", "fr"),
            "orders_url": "https://volt.test/order-status?id=ord_1",
        },
    ),
}


@pytest.fixture
def volt(tmp_path: Path) -> Path:
    """A second provider's brand folder: another name, logo, palette, legal identity and lines."""
    legal = json.loads((ROOT / "brand" / "brand.json").read_text())["legal"]
    colours = {  # every role another colour: one of Guichet's left in an email is hard-coded
        "primary": "#7a1fa2",
        "on_primary": "#fffdf7",
        "accent": "#00a3a3",
        "text": "#221a26",
        "muted": "#5b4a63",
        "background": "#faf5fc",
        "surface": "#fffefe",
        "border": "#7d6b85",
        "danger": "#a1121f",
        "success": "#176b2c",
        "warning": "#7c5200",
    }
    legal = {
        **legal,
        "company": "Volt et Fibre SA",
        "address": {
            "line1": "3 quai Perrache",
            "line2": None,
            "postal_code": "69002",
            "city": "Lyon",
            "country": "FR",
        },
        "siren": "987654321",
        "vat_number": "FR11987654321",
        "rcs": "RCS Lyon 987 654 321",
        "website": "https://www.volt.test",
    }
    support = {
        "email": "aide@volt.test",
        "phones": [{"purpose": "customer", "number": "+33412345678", "cost": "free"}],
        "hours": [{"days": ["mon", "tue", "wed"], "opens": "09:00", "closes": "18:30"}],
    }
    brand = copy_brand(
        tmp_path / "volt", ROOT / "brand", name="Volt & Fibre", colours=colours, legal=legal, support=support
    )
    (brand.folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    return brand.folder


@pytest.mark.parametrize("service", sorted(EMAILS))
@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_a_second_brand_renders_every_service_s_email_with_its_own_name_colours_and_footer(
    volt: Path, monkeypatch: pytest.MonkeyPatch, service: str, language: str
) -> None:
    # Given the provider's brand folder is another one (as `make run` or `make package` take it)
    monkeypatch.setenv("GUICHET_BRAND_DIR", str(volt))
    name, context = EMAILS[service]

    # When the service renders one of its emails
    email = mail.render(
        SERVICES / service / "chalicelib" / "templates", name, language, "lina@example.org", **context
    )

    # Then nothing of Guichet is left: neither its name nor its colours
    for part in (email.subject, email.text, email.html):
        assert "guichet" not in part.lower()
    assert not GUICHET_COLOURS & set(re.findall(r"#[0-9a-fA-F]{6}", email.html))
    # and the second brand signs it, in its colours, with its legal identity, lines and hours
    assert "#7a1fa2" in email.html and "#faf5fc" in email.html
    assert "Volt &amp; Fibre" in email.html and "Volt & Fibre" in email.text
    signature = {"fr": "L'équipe Volt & Fibre", "en": "The Volt & Fibre team", "it": "Il team Volt & Fibre"}[
        language
    ]
    assert signature in email.text
    for part in (email.text, email.html):
        assert "Volt et Fibre SA" in part and "SIREN 987654321" in part and "RCS Lyon 987 654 321" in part
        assert "3 quai Perrache, 69002 Lyon" in part and "FR11987654321" in part
        assert "04 12 34 56 78" in part and "aide@volt.test" in part
        assert formatting.weekdays(["mon", "tue", "wed"], language) in part and "18:30" in part
    assert 'href="tel:+33412345678"' in email.html


def test_the_header_shows_the_logo_only_where_the_recipient_can_reach_it(volt: Path) -> None:
    brand = load_brand(volt)
    name, context = EMAILS["auth"]
    templates = SERVICES / "auth" / "chalicelib" / "templates"

    # Without an address of the logo, the header is the brand's name in its primary colour
    plain = mail.render(templates, name, "fr", "lina@example.org", brand=brand, **context)
    assert "<img" not in plain.html
    assert 'color:#7a1fa2">Volt &amp; Fibre</span>' in plain.html

    # With one, the logo, named for those who do not load images
    logo = mail.render(
        templates,
        name,
        "fr",
        "lina@example.org",
        brand=brand,
        logo_url="https://volt.test/logo.png",
        **context,
    )
    assert '<img src="https://volt.test/logo.png" alt="Volt &amp; Fibre"' in logo.html


def test_a_brand_s_text_overrides_reword_a_message_in_one_language(volt: Path, tmp_path: Path) -> None:
    texts = {
        "fr": {
            "The %(provider)s team": "À bientôt, toute l'équipe %(provider)s",
            "Choose a new password": "Nouveau mot de passe",
        },
        "en": {},
        "it": {},
    }
    brand = copy_brand(tmp_path / "worded", volt, texts=texts)
    name, context = EMAILS["auth"]
    templates = SERVICES / "auth" / "chalicelib" / "templates"

    french = mail.render(templates, name, "fr", "lina@example.org", brand=brand, **context)
    english = mail.render(templates, name, "en", "lina@example.org", brand=brand, **context)

    assert "À bientôt, toute l'équipe Volt & Fibre" in french.text and "L'équipe" not in french.text
    assert ">Nouveau mot de passe</a>" in french.html
    assert "The Volt & Fibre team" in english.text and ">Choose a new password</a>" in english.html


@pytest.mark.parametrize(
    "folder",
    [
        SHARED,
        *(
            SERVICES / service / "chalicelib" / "templates"
            for service in ("auth", "invoices", "subscriptions")
        ),
    ],
    ids=["layout", "auth", "invoices", "subscriptions"],
)
def test_each_catalog_translates_every_message_its_templates_ask_for_and_no_other(folder: Path) -> None:
    assert catalogs.extract(folder), "no message found: the extraction is broken"
    assert catalogs.missing(folder) == {"fr": [], "en": [], "it": []}


def test_a_message_without_translation_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(SERVICES / "auth" / "chalicelib" / "templates", folder)
    source = folder / "password_reset.j2"
    source.write_text(source.read_text().replace("Choose a new password", "Pick a new password"))

    gaps = catalogs.missing(folder)

    # the new wording untranslated, the old one left over: in every catalog (English lists them too)
    for language in ("fr", "en", "it"):
        assert gaps[language] == ["Choose a new password", "Pick a new password"]


def test_words_a_service_computes_for_its_emails_are_catalog_messages(tmp_path: Path) -> None:
    """The invoices' document kinds, payment methods, decline reasons and line words: gettext messages of
    the invoices' catalogs under a context, found in mailing.py and line_words.py by the catalogs' tool."""
    templates = SERVICES / "invoices" / "chalicelib" / "templates"
    extracted = {(message.context, message.id) for message in catalogs.extract(templates)}
    assert {("payment method", "card"), ("refund method", "refund to your card")} <= extracted
    assert ("decline reason", "insufficient funds") in extracted
    said = {
        language: mail.pgettext(templates, language, "payment method", "direct debit")
        for language in ["fr", "en", "it"]
    }
    assert said == {"fr": "prélèvement automatique", "en": "direct debit", "it": "addebito diretto"}
    assert mail.pgettext(templates, "de", "payment method", "card") == "carte bancaire"  # French by default

    folder = tmp_path / "chalicelib" / "templates"
    shutil.copytree(templates, folder)
    for module in ("mailing.py", "line_words.py"):  # the modules that mark words for the catalogs
        shutil.copy(templates.parent / module, folder.parent / module)
    catalog = folder / "locale" / "it.po"
    catalog.write_text(catalog.read_text().replace('msgstr "addebito diretto"', 'msgstr ""'))
    assert catalogs.missing(folder) == {"fr": [], "en": [], "it": ["payment method|direct debit"]}


def test_no_service_keeps_texts_in_a_dict_by_language() -> None:
    """Words in a language live in catalogs (.po) or data files (the PDFs' JSON label tables),
    never in a Python dict keyed "fr", "en", "it"."""
    found = set()
    for path in SERVICES.glob("*/chalicelib/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
                keys = {keyword.arg for keyword in node.keywords}
            else:
                continue
            if len(keys & {"fr", "en", "it"}) >= 2:
                found.add(f"{path.relative_to(SERVICES)}")
    assert found == set()


def test_auth_emails_are_one_template_per_message_with_plurals_from_the_catalog() -> None:
    templates = SERVICES / "auth" / "chalicelib" / "templates"
    assert not any(path.is_dir() for path in templates.glob("??"))
    context = {"first_name": "Lina", "customer_id": "lm123456-GU", "reset_url": "https://x.test/r"}
    one = mail.render(templates, "password_reset", "it", "l@x.test", expires_minutes=1, **context)
    many = mail.render(templates, "password_reset", "it", "l@x.test", expires_minutes=30, **context)
    assert "valido per 1 minuto " in one.text and "valido per 30 minuti " in many.text


def test_no_service_keeps_a_template_folder_per_language() -> None:
    assert not [path for path in SERVICES.glob("*/chalicelib/templates/??") if path.is_dir()]


@pytest.mark.parametrize(
    "language, periods, billing_period, wording",
    [
        ("it", 1, "month", "- Fibra «Casa», 1 mese: 9,99 €"),
        ("it", 3, "month", "- Fibra «Casa», 3 mesi: 9,99 €"),
        ("fr", 2, "year", "- Fibra « Casa », 2 ans : 9,99 €"),
        ("en", 1, "year", '- Fibra "Casa", 1 year: 9,99 €'),
    ],
)
def test_an_order_line_says_what_it_buys_by_the_catalog_s_plural_forms(
    language: str, periods: int, billing_period: str, wording: str
) -> None:
    line = {"name": "Fibra", "label": "Casa", "periods": periods, "billing_period": billing_period}
    email = mail.render(
        SERVICES / "subscriptions" / "chalicelib" / "templates",
        "order_received",
        language,
        "l@x.test",
        **{**EMAILS["subscriptions"][1], "items": [{**line, "price": "9,99 €"}]},
    )
    assert wording in email.text


@pytest.mark.parametrize(
    "language, days_left, billing_period, subject, wording",
    [
        ("fr", 7, "year", "Votre abonnement Fibre expire dans 7 jours", "(29,99 € par an)"),
        ("it", 1, "month", "Il Suo abbonamento Fibre scade domani", "(29,99 € al mese)"),
        ("en", 0, "month", "Your subscription Fibre expires today", "(29,99 € per month)"),
    ],
)
def test_a_renewal_reminder_words_its_delay_and_billing_period_from_the_catalogs(
    language: str, days_left: int, billing_period: str, subject: str, wording: str
) -> None:
    email = mail.render(
        SERVICES / "subscriptions" / "chalicelib" / "templates",
        "renewal_reminder",
        language,
        "l@x.test",
        first_name="Lina",
        customer_id="lm123456-GU",
        subscription_name="Fibre",
        label="",
        dossier_number="D-1",
        renews_on="30/04/2026",
        days_left=days_left,
        price="29,99 €",
        billing_period=billing_period,
        renew_url="https://x.test/subscription?id=s1&action=renew",
        auto_renew=False,
    )
    assert email.subject == subject and wording in email.text


@pytest.mark.parametrize(
    "number, written",
    [
        ("+33123456789", "01 23 45 67 89"),
        ("+33612345678", "06 12 34 56 78"),
        ("+33800665544", "0 800 66 55 44"),
        ("+33892702033", "0 892 70 20 33"),
        ("+390612345678", "+390612345678"),  # not French: dialable as it is
    ],
)
def test_support_numbers_are_written_as_customers_dial_them(number: str, written: str) -> None:
    assert national(number) == written


def test_no_email_template_writes_a_colour_or_the_provider_s_name() -> None:
    templates = [*SERVICES.glob("*/chalicelib/templates/**/*.j2"), *SHARED.glob("*.j2")]
    services = {path.relative_to(SERVICES).parts[0] for path in templates if SERVICES in path.parents}
    assert services == {"auth", "invoices", "subscriptions"} and len(templates) > 30
    for path in templates:
        source = path.read_text()
        assert not re.findall(r"#[0-9a-fA-F]{3,6}\b", source), path
        assert "guichet" not in source.lower(), path
