"""The subscription documents: contract, general terms, proof of address, in fr, en and it.

Each PDF is read back with pypdf, as a customer's viewer would, and its text checked.
"""

from __future__ import annotations

import copy
import datetime
import io
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pypdf
import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_DIR))

from chalicelib import pdf_documents  # noqa: E402
from guichet_contracts import formatting  # noqa: E402
from guichet_contracts.brand import copy_brand, load_brand  # noqa: E402

TODAY = datetime.date(2026, 11, 23)
PROVIDER = "Énergie Claire SAS"  # the legal company of the brand of these tests
REPOSITORY_BRAND = Path(__file__).resolve().parents[3] / "brand"


@pytest.fixture(autouse=True, scope="module")
def provider_brand(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The brand of these tests: the repository's, under another name."""
    legal = {**load_brand(REPOSITORY_BRAND).legal.model_dump(), "company": PROVIDER}
    folder = tmp_path_factory.mktemp("brand") / "brand"
    copy_brand(folder, REPOSITORY_BRAND, name="Énergie Claire", legal=legal)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GUICHET_BRAND_DIR", str(folder))
        yield folder


ELECTRICITY = {
    "subscription_id": "sub_0001",
    "dossier_number": "DOS-2026-004217",
    "product_id": "elec-stockage",
    "family": "electricity",
    "name": "Stockage Virtuel",
    "label": "Maison",
    "status": "active",
    "started_on": "2025-11-23",
    "renews_on": "2026-11-23",
    "auto_renew": True,
    "price_cents": 1299,
    "currency": "EUR",
    "billing_period": "month",
    "commitment_months": 12,
    "contract": {
        "contract_number": "CT-88412093",
        "offer": "Stockage Virtuel",
        "payment_mode": "monthly",
        "pdl": "14295837461028",
        "off_peak_hours": [{"start": "22:00", "end": "06:00"}],
        "subscribed_power_kva": 9,
    },
    "tariff": {
        "energy_rates_cents_per_kwh": {"base": 19.52, "peak": 20.81, "off_peak": 16.35},
        "battery_capacity_kwh": 100,
        "resale_rate_cents_per_kwh": 7.4,
    },
    "accepted": {"order_id": "ord_5c1e9a", "at": "2025-11-23T09:41:27Z", "terms_version": "2025-09"},
}

HOSTING = {
    "subscription_id": "sub_0002",
    "dossier_number": "IH-2026-000815",
    "product_id": "hosting-pro",
    "family": "hosting",
    "name": "Hosting Pro",
    "label": "shop.example.it",
    "status": "active",
    "started_on": "2026-01-15",
    "renews_on": "2027-01-15",
    "auto_renew": False,
    "price_cents": 11990,
    "currency": "EUR",
    "billing_period": "year",
    "commitment_months": 0,
    "contract": {
        "contract_number": None,
        "offer": None,
        "payment_mode": None,
        "pdl": None,
        "off_peak_hours": [],
        "subscribed_power_kva": None,
    },
}

CUSTOMER = {
    "customer_id": "hd429850-GUI",
    "first_name": "Hortense",
    "last_name": "Lefèvre",
    "company": "<b>& Fils",
    "email": "hortense@example.test",
    "phone": "+33 6 12 34 56 78",
    "address": {
        "line1": "12 rue de l'Église",
        "line2": None,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
    },
    "language": "fr",
}

PRICES = {
    ("fr", "month"): "12,99 € / mois",
    ("en", "month"): "€12.99 / month",
    ("it", "month"): "12,99 € / mese",
    ("fr", "year"): "119,90 € / an",
    ("en", "year"): "€119.90 / year",
    ("it", "year"): "119,90 € / anno",
}


def render(
    kind: str, language: str = "fr", *, subscription: dict[str, Any] = ELECTRICITY, **customer: Any
) -> bytes:
    return pdf_documents.render(
        kind,
        subscription=subscription,
        customer={**CUSTOMER, **customer},
        language=language,
        today=TODAY,
    )


def read(pdf: bytes) -> tuple[str, pypdf.PdfReader]:
    """The document's text with whitespace collapsed, and the reader."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), reader


@pytest.mark.parametrize("language", ["fr", "en", "it"])
@pytest.mark.parametrize("kind", pdf_documents.KINDS)
def test_each_document_names_the_customer_the_dossier_and_the_price_in_the_language(kind, language):
    # Given an electricity subscription
    # When its document is rendered
    pdf = render(kind, language)

    # Then it is a PDF that names the customer, the dossier, the price and the delivery point
    assert pdf.startswith(b"%PDF-")
    text, reader = read(pdf)
    assert "hd429850-GUI" in text
    assert "Hortense Lefèvre" in text
    assert "DOS-2026-004217" in text
    assert PRICES[(language, "month")] in text
    assert "14295837461028" in text
    assert reader.metadata.title == pdf_documents.title(kind, language)
    assert reader.metadata.author == PROVIDER
    assert "DOS-2026-004217" in reader.metadata.subject


@pytest.mark.parametrize("language", ["fr", "en", "it"])
@pytest.mark.parametrize("kind", pdf_documents.KINDS)
def test_a_hosting_subscription_has_no_electricity_section(kind, language):
    text, _ = read(render(kind, language, subscription=HOSTING))

    assert "IH-2026-000815" in text
    assert PRICES[(language, "year")] in text
    assert "PDL" not in text
    assert "kVA" not in text


def test_the_electricity_contract_lists_the_supply_details_and_the_acceptance():
    text, _ = read(render("contract", "fr"))

    for expected in (
        "CT-88412093",
        "Point de livraison (PDL) 14295837461028",
        "9 kVA",
        "22:00–06:00",
        "Mensualisation (prélèvement mensuel)",
        "12 mois",
        "Prochain renouvellement 23 novembre 2026",
        "Renouvellement automatique Oui",
        "Commande passée et acceptée électroniquement par Hortense Lefèvre le 23 nov. 2025, 10:41"
        " (commande n° ord_5c1e9a), avec les conditions générales de vente version 2025-09.",
        "30, 7 et 1 jours",
        "Offre Stockage Virtuel",  # the offer's name, never the catalog's code for it
        "Prix du kWh (base) 0,1952 € / kWh",
        "Prix du kWh (heures pleines) 0,2081 € / kWh",
        "Prix du kWh (heures creuses) 0,1635 € / kWh",
        "Capacité de la batterie virtuelle 100 kWh",
        "Rachat du surplus 0,074 € / kWh",
    ):
        assert expected in text


def test_the_contract_of_an_off_peak_option_states_its_two_rates_only():
    subscription = copy.deepcopy(ELECTRICITY)
    subscription["contract"]["tariff_option"] = "off_peak"
    subscription["contract"]["offer"] = "virtual_storage"

    text, _ = read(render("contract", "en", subscription=subscription))

    assert "Price per kWh (peak hours) €0.2081 / kWh" in text
    assert "Price per kWh (off-peak hours) €0.1635 / kWh" in text
    assert "(base)" not in text
    assert "virtual_storage" not in text


def test_the_contract_shows_the_tariff_option_and_a_requested_cancellation():
    subscription = copy.deepcopy(ELECTRICITY)
    subscription["contract"]["tariff_option"] = "off_peak"
    subscription["cancel_at"] = "2026-12-23"

    text, _ = read(render("contract", "fr", subscription=subscription))

    assert "Option tarifaire Heures pleines / heures creuses" in text
    assert "Fin de l'abonnement 23 décembre 2026" in text
    assert "Résiliation demandée : fin de l'abonnement le 23 décembre 2026." in text
    assert "Prochain renouvellement" not in text


def test_unexpected_values_are_printed_as_given():
    subscription = copy.deepcopy(ELECTRICITY)
    subscription["contract"]["subscribed_power_kva"] = "9 (triphasé)"
    subscription["contract"]["payment_mode"] = "quarterly"
    subscription["status"] = "migrating"

    text, _ = read(render("contract", "en", subscription=subscription))

    assert "9 (triphasé) kVA" in text
    assert "quarterly" in text
    assert "migrating" in text


@pytest.mark.parametrize(
    ("language", "acceptance"),
    [
        (
            "fr",
            "acceptée électroniquement par Hortense Lefèvre le 23 nov. 2025, 10:41 (commande n° ord_5c1e9a)",
        ),
        ("en", "electronically accepted by Hortense Lefèvre on 23 Nov 2025, 10:41 (order no. ord_5c1e9a)"),
        ("it", "accettato elettronicamente da Hortense Lefèvre il 23 nov 2025, 10:41 (ordine n. ord_5c1e9a)"),
    ],
)
def test_the_contract_records_when_its_order_was_placed_with_which_terms_in_the_language(
    language, acceptance
):
    text, _ = read(render("contract", language))

    assert acceptance in text
    assert "2025-09" in text  # the version of the terms of sale accepted


def test_an_order_placed_without_the_terms_is_not_said_to_have_accepted_them():
    subscription = {**ELECTRICITY, "accepted": {**ELECTRICITY["accepted"], "terms_version": None}}

    text, _ = read(render("contract", "en", subscription=subscription))

    assert (
        "Order placed electronically by Hortense Lefèvre on 23 Nov 2025, 10:41 (order no. ord_5c1e9a)."
        in text
    )
    assert "No acceptance of the general terms of sale was recorded with this order." in text
    assert "accepted by" not in text


def test_a_contract_without_a_record_of_its_order_claims_no_acceptance():
    subscription = {**ELECTRICITY, "accepted": None}

    text, _ = read(render("contract", "fr", subscription=subscription))

    assert (
        "Abonnement souscrit le 23 novembre 2025 ; l'espace client ne conserve aucun enregistrement" in text
    )
    assert "acceptée électroniquement" not in text and "Accepté" not in text


@pytest.mark.parametrize(
    ("language", "imported", "accepted"),
    [
        ("fr", "importé des systèmes de", "Accepté électroniquement"),
        ("en", "imported from the systems of", "Electronically accepted"),
        ("it", "importato dai sistemi di", "Accettato elettronicamente"),
    ],
)
def test_an_imported_contract_says_so_and_claims_no_electronic_acceptance(language, imported, accepted):
    contract = {
        **ELECTRICITY,
        "imported": {"imported_on": "2026-12-01", "billed_from": "2026-12-01", "commitment_ends_on": None},
    }

    text, _ = read(render("contract", language, subscription=contract))

    assert imported in text and accepted not in text
    assert "2026" in text.split(imported)[1][:80]  # the day it was imported


def test_a_contract_not_yet_started_awaits_acceptance():
    pending = {**ELECTRICITY, "status": "pending_confirmation", "started_on": None, "accepted": None}

    text, _ = read(render("contract", "en", subscription=pending))

    assert "Awaiting electronic acceptance by Hortense Lefèvre." in text
    assert "Electronically accepted" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "Article 10",
                "Droit de rétractation",
                "quatorze (14) jours",
                "RGPD",
                "médiateur",
                "30 jours, 7 jours et 1 jour avant la date de renouvellement",
                "soit à la fin de la période en cours",
                "soit immédiatement",
            ],
        ),
        (
            "en",
            [
                "Article 10",
                "Right of withdrawal",
                "fourteen (14) days",
                "GDPR",
                "mediator",
                "30 days, 7 days and 1 day before the renewal date",
                "either at the end of the current period",
                "or immediately",
            ],
        ),
        (
            "it",
            [
                "Articolo 10",
                "Diritto di recesso",
                "quattordici (14) giorni",
                "GDPR",
                "conciliazione",
                "30 giorni, 7 giorni e 1 giorno prima della data di rinnovo",
                "alla fine del periodo in corso",
                "con effetto immediato",
            ],
        ),
    ],
)
def test_the_general_terms_are_numbered_articles_naming_the_provider(language, expected):
    text, _ = read(render("terms", language))

    for snippet in expected:
        assert snippet in text
    assert text.count(PROVIDER) >= 5
    assert "Article 13" not in text and "Articolo 13" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            ["Énergie Claire SAS atteste", "depuis le 23 novembre 2025", "Fait le 23 novembre 2026", "Lyon"],
        ),
        (
            "en",
            [
                "Énergie Claire SAS hereby certifies",
                "since 23 November 2025",
                "Issued on 23 November 2026",
                "Lyon",
            ],
        ),
        ("it", ["Énergie Claire SAS attesta", "dal 23 novembre 2025", "Emessa il 23 novembre 2026", "Lyon"]),
    ],
)
def test_the_proof_of_address_certifies_the_address_since_the_start_date(language, expected):
    text, _ = read(render("proof_of_address", language))

    for snippet in expected:
        assert snippet in text
    assert "12 rue de l'Église" in text
    assert {"fr": "69003 Lyon France", "en": "69003 Lyon France", "it": "69003 Lyon Francia"}[
        language
    ] in text
    assert "CT-88412093" in text


@pytest.mark.parametrize(
    "address", [None, {}, {"line1": " ", "postal_code": "69003", "city": "", "country": "FR"}]
)
def test_a_proof_of_address_needs_an_address(address):
    with pytest.raises(ValueError, match=r"^address$") as refused:
        render("proof_of_address", address=address)
    assert isinstance(refused.value, pdf_documents.AddressMissing)


def test_the_contract_and_terms_do_not_need_an_address():
    for kind in ("contract", "terms"):
        text, _ = read(render(kind, address=None))
        assert "hd429850-GUI" in text


@pytest.mark.parametrize("kind", pdf_documents.KINDS)
def test_markup_in_customer_data_is_printed_as_text(kind):
    subscription = copy.deepcopy(ELECTRICITY)
    subscription["label"] = "<i>Maison</i> & <font size=40>jardin"
    subscription["name"] = "Offre <br/> verte & co"

    text, _ = read(render(kind, subscription=subscription, last_name="Lefèvre <script>&amp;"))

    assert "<b>& Fils" in text
    assert "Lefèvre <script>&amp;" in text
    if kind == "contract":
        assert "<i>Maison</i> & <font size=40>jardin" in text
        assert "Offre <br/> verte & co" in text


def test_a_value_longer_than_a_page_flows_onto_the_next_pages():
    subscription = {**ELECTRICITY, "label": "très long libellé " * 600}

    text, reader = read(render("contract", subscription=subscription))

    assert len(reader.pages) > 1
    assert "hd429850-GUI" in text


def test_letters_outside_the_pdf_fonts_lose_their_accent_instead_of_printing_boxes():
    text, _ = read(render("contract", first_name="Łukasz", last_name="Dvořák\x00"))

    assert "Lukasz Dvorák" in text
    assert "■" not in text


def test_the_same_input_gives_the_same_bytes_dated_the_day_of_issue():
    pdf = render("terms", "it")

    assert pdf == render("terms", "it")
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata.creation_date.date() == TODAY


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match=r"^kind$"):
        render("invoice")
    with pytest.raises(ValueError, match=r"^kind$"):
        pdf_documents.title("invoice", "fr")


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        (
            "fr",
            [
                "Contrat d'abonnement",
                "Conditions générales de vente",
                "Justificatif de domicile (attestation)",
                "Confirmation de résiliation",
            ],
        ),
        (
            "en",
            [
                "Subscription contract",
                "General terms of sale",
                "Proof of address (certificate)",
                "Cancellation confirmation",
            ],
        ),
        (
            "it",
            [
                "Contratto di abbonamento",
                "Condizioni generali di contratto",
                "Attestazione di domicilio",
                "Conferma di disdetta",
            ],
        ),
    ],
)
def test_title_of_every_kind_in_every_language(language, titles):
    assert [pdf_documents.title(kind, language) for kind in pdf_documents.KINDS] == titles


def test_an_unknown_language_falls_back_to_french():
    assert pdf_documents.title("terms", "de") == "Conditions générales de vente"
    assert pdf_documents.title("terms", "en-GB") == "General terms of sale"
    text, _ = read(render("contract", "de"))
    assert "12,99 € / mois" in text


@pytest.mark.parametrize("language", ["fr", "en", "it"])
def test_the_price_and_dates_are_printed_as_the_shared_formatting_writes_them(language):
    subscription = {**ELECTRICITY, "price_cents": 123456}

    text, _ = read(render("contract", language, subscription=subscription))

    words = " ".join(formatting.money(123456, "EUR", language).split())  # U+00A0, U+202F: spaces
    assert words in text
    assert " ".join(formatting.day(TODAY, language).split()) in text
    assert formatting.money(123456, "EUR", "it") == "1.234,56\xa0€"  # as the emails and the portal


def test_importing_the_module_loads_neither_reportlab_nor_settings_nor_aws():
    probe = (
        "import sys; import chalicelib.pdf_documents; "
        "heavy = ('reportlab', 'chalicelib.settings', 'boto3', 'botocore'); "
        "loaded = [m for m in heavy if m in sys.modules]; "
        "print(loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=SERVICE_DIR, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", pdf_documents.KINDS)
def test_each_document_has_what_pdf_a_2b_asks_for(kind):
    pdf = render(kind, "it")

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.root_object
    assert reader.trailer["/ID"]
    # an sRGB output intent
    (intent,) = root["/OutputIntents"]
    profile = intent.get_object()["/DestOutputProfile"].get_object()
    assert intent.get_object()["/S"] == "/GTS_PDFA1" and profile["/N"] == 3
    assert profile.get_data()[36:40] == b"acsp"
    # every font embedded: no Helvetica, the built-in font PDF/A cannot use
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in font["/FontDescriptor"] for font in fonts)
    assert b"Helvetica" not in pdf
    # XMP, readable, declaring PDF/A-2B and saying what the document information says
    xmp = root["/Metadata"].get_object()
    assert "/Filter" not in xmp and xmp["/Subtype"] == "/XML"
    data = xmp.get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in data and "<pdfaid:conformance>B</pdfaid:conformance>" in data
    info = reader.metadata
    for key in ("/Title", "/Author", "/Subject", "/Creator", "/Producer"):
        assert f">{escape(info[key])}<" in data, key
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261123000000+00'00'"
    assert "<xmp:CreateDate>2026-11-23T00:00:00+00:00</xmp:CreateDate>" in data
    # no transparency: the logo is an opaque image
    images = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
    assert images and all("/SMask" not in image for image in images)


def test_a_second_brand_prints_its_name_logo_colour_terms_and_legal_identity(tmp_path):
    from PIL import Image
    from reportlab.lib.colors import HexColor
    from reportlab.lib.rl_accel import fp_str

    base = load_brand(REPOSITORY_BRAND)
    legal = {**base.legal.model_dump(), "company": "Rivage Services SARL", "siren": "987654321"}
    colours = {**base.colours.model_dump(), "primary": "#7a1fa2"}
    texts = {
        "fr": {
            "pdf.documents.labels.holder": "Abonné",
            "pdf.documents.titles.contract": "Conditions particulières",
        }
    }
    brand = copy_brand(
        tmp_path / "brand", REPOSITORY_BRAND, name="Rivage", legal=legal, colours=colours, texts=texts
    )
    (brand.folder / "terms" / "fr.md").write_text("# CGV\n\n## Objet\n\nLe service de {provider}.\n")
    Image.new("RGB", (240, 80), (122, 31, 162)).save(brand.logo_path("png"))

    pages = {
        kind: pdf_documents.render(
            kind, subscription=ELECTRICITY, customer=CUSTOMER, language="fr", today=TODAY, brand=brand
        )
        for kind in ("contract", "terms")
    }

    for kind, pdf in pages.items():
        text, reader = read(pdf)
        assert text.startswith("Rivage") and "Rivage Services SARL — SAS au capital" in text, kind
        assert "Guichet" not in text and "Énergie Claire" not in text
        assert "Guichet" not in " ".join(str(value) for value in reader.metadata.values())
        (image,) = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
        assert (image["/Width"], image["/Height"]) == (240, 80)
        content = reader.pages[0].get_contents().get_data().decode("latin-1")
        assert f"{fp_str(*HexColor('#7a1fa2').rgb())} RG" in content  # the rule above the footer
    contract, reader = read(pages["contract"])  # in its words (texts): a label and the title
    assert "Abonné" in contract and "Titulaire" not in contract
    assert "Conditions particulières" in contract and "Contrat d'abonnement" not in contract
    assert reader.metadata.title == "Conditions particulières"
    assert pdf_documents.title("contract", "fr", brand) == "Conditions particulières"
    assert pdf_documents.title("contract", "en", brand) == "Subscription contract"
    terms, _ = read(pages["terms"])
    assert "Article 1 — Objet Le service de Rivage Services SARL." in terms
    assert "Article 2" not in terms


PLANNED = {
    **ELECTRICITY,
    "cancel_at": "2026-12-23",
    "cancellation": {"requested_at": "2026-11-23T16:05:00Z", "immediately": False, "refund_cents": None},
}
IMMEDIATE = {
    **HOSTING,
    "status": "cancelled",
    "cancel_at": "2026-11-23",
    "cancellation": {"requested_at": "2026-11-23T16:05:00Z", "immediately": True, "refund_cents": 6512},
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "confirme avoir reçu le 23 nov. 2026, 17:05 la demande de résiliation",
                "Date d'effet 23 décembre 2026",
                "Dernier jour de service 22 décembre 2026",
                "prendra effet à la fin de la période en cours, le 23 décembre 2026 ; le service reste fourni"
                " jusqu'au 22 décembre 2026 inclus.",
                "annuler cette résiliation depuis son espace client jusqu'au 22 décembre 2026 inclus.",
                "La consommation jusqu'à la date d'effet est facturée sur la dernière facture",
            ],
        ),
        (
            "en",
            [
                "confirms receipt on 23 Nov 2026, 17:05 of the request to cancel",
                "Effective date 23 December 2026",
                "Last day of service 22 December 2026",
                "withdraw this cancellation from the customer area until 22 December 2026 included.",
            ],
        ),
        (
            "it",
            [
                "conferma di aver ricevuto il 23 nov 2026, 17:05 la richiesta di disdetta",
                "Data di efficacia 23 dicembre 2026",
                "Ultimo giorno di servizio 22 dicembre 2026",
            ],
        ),
    ],
)
def test_a_planned_cancellation_is_confirmed_with_its_request_time_effect_and_last_day(language, expected):
    text, _ = read(render("cancellation", language, subscription=PLANNED))

    for sentence in expected:
        assert sentence in text
    assert "hd429850-GUI" in text and "DOS-2026-004217" in text and "14295837461028" in text


def test_an_immediate_cancellation_is_confirmed_with_what_it_credits():
    text, _ = read(render("cancellation", "fr", subscription=IMMEDIATE))

    assert (
        "La résiliation a pris effet immédiatement : le 23 novembre 2026 est le dernier jour de service."
        in text
    )
    assert "Dernier jour de service 23 novembre 2026" in text
    assert "Montant crédité 65,12 €" in text
    assert "Les jours payés d'avance et non utilisés, 65,12 €, sont crédités par un avoir" in text
    assert "annuler cette résiliation" not in text  # nothing left to withdraw
    assert "consommation" not in text  # hosting: no meter
