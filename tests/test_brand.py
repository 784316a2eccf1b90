"""The brand folder: what a provider edits to put its name on the customer area, checked when read."""

import json
import shutil
from pathlib import Path

import pytest
from guichet_contracts.brand import (
    PDF_LABELS,
    BrandError,
    load_brand,
    pdf_labels,
    pdf_table,
    portal_keys,
    text_keys,
    unknown_texts,
)

BRAND = Path(__file__).resolve().parents[1] / "brand"


def _copy(tmp_path: Path, **changes: object) -> Path:
    folder = tmp_path / "brand"
    shutil.copytree(BRAND, folder)
    data = json.loads((folder / "brand.json").read_text())
    data.update(changes)
    (folder / "brand.json").write_text(json.dumps(data))
    return folder


def test_the_repository_brand_is_valid_and_complete():
    brand = load_brand(BRAND)

    assert brand.name == "Guichet"
    assert brand.logo_path("svg").is_file() and brand.logo_path("png").is_file()
    for language in ("fr", "en", "it"):
        sections = brand.terms(language)
        assert len(sections) >= 5
        assert all(heading and text for heading, text in sections)
        assert "{provider}" not in "".join(text for _, text in sections)
    assert brand.legal.company in brand.terms("fr")[0][1]


def test_a_second_brand_is_read_from_its_own_folder(tmp_path):
    folder = _copy(
        tmp_path,
        name="Volt & Fibre",
        colours={**json.loads((BRAND / "brand.json").read_text())["colours"], "primary": "#7a1fa2"},
    )

    brand = load_brand(folder)

    assert brand.name == "Volt & Fibre"
    assert "--colour-primary: #7a1fa2;" in brand.css_variables()


@pytest.mark.parametrize(
    "changes, complaint",
    [
        ({"colours": {"primary": "blue"}}, "colours"),
        ({"support": {"email": "support@x.test", "phones": [], "hours": []}}, "phones"),
        ({"logo": {"svg": "missing.svg", "png": "logo.png"}}, "missing.svg"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_a_brand_that_says_something_wrong_is_refused_with_where(tmp_path, changes, complaint):
    folder = _copy(tmp_path, **changes)

    with pytest.raises(BrandError, match=complaint):
        load_brand(folder)


def test_a_missing_brand_folder_is_refused(tmp_path):
    with pytest.raises(BrandError, match="cannot read"):
        load_brand(tmp_path / "nowhere")


def test_text_overrides_reword_known_messages_of_the_portal_the_api_and_the_emails(tmp_path):
    texts = {
        "fr": {
            "home_pay": "Régler",  # the portal's (web/i18n/fr/common.json)
            "error.invalid_credentials": "Identifiant ou mot de passe erroné.",  # the API's (words.py)
            "Choose a new password": "Nouveau mot de passe",  # an email's (its English source)
        },
        "en": {"home_pay": "Settle"},
        "it": {},
    }
    brand = load_brand(_copy(tmp_path, texts=texts))

    # /brand.json carries the portal's own overrides only, per language
    assert brand.public()["texts"] == {"fr": {"home_pay": "Régler"}, "en": {"home_pay": "Settle"}, "it": {}}
    assert brand.text("fr", "error.invalid_credentials", "x") == "Identifiant ou mot de passe erroné."
    assert '"home_pay": "Régler"' in brand.public_json().decode()


def test_a_text_override_no_catalog_has_is_refused_with_its_key(tmp_path):
    folder = _copy(
        tmp_path, texts={"fr": {"home_pay": "Régler"}, "it": {"home_pya": "Pagare", "error.nope": "No"}}
    )

    with pytest.raises(BrandError, match=r"texts\.it: error\.nope, home_pya"):
        load_brand(folder)


def test_the_keys_a_brand_may_reword_are_the_catalogs_keys():
    keys = text_keys()
    portal = portal_keys()
    assert {"home_pay", "check_required", "error.invalid_credentials", "The %(provider)s team"} <= keys
    assert "home_pay" in portal and "error.invalid_credentials" not in portal
    assert portal == set(json.loads((BRAND.parent / "web" / "i18n" / "it" / "common.json").read_text())) | {
        key
        for part in ("subscriptions", "invoices", "consumption")
        for key in json.loads((BRAND.parent / "web" / "i18n" / "it" / f"{part}.json").read_text())
    }


def test_the_pdfs_labels_are_keys_a_brand_may_reword_apart_from_the_other_catalogs():
    keys = text_keys()
    pdf = {key for key in keys if key.startswith("pdf.")}
    assert pdf == set(pdf_labels())
    assert {
        "pdf.letterhead.page",
        "pdf.invoice.labels.total_incl",
        "pdf.invoice.titles.credit_note",
        "pdf.invoice.units.kwh",
        "pdf.invoice.duplicate_stamp",
        "pdf.documents.labels.holder",
        "pdf.documents.titles.proof_of_address",
        "pdf.documents.statuses.suspended",
    } <= pdf
    assert pdf_labels()["pdf.documents.labels.holder"] == {
        "fr": "Titulaire",
        "en": "Holder",
        "it": "Titolare",
    }
    # every table says every label in each language; the modules' tables are the ones listed
    assert all(set(wordings) == {"fr", "en", "it"} for wordings in pdf_labels().values())
    for name, file in PDF_LABELS.items():
        assert pdf_table(BRAND.parent / file) == name
    with pytest.raises(KeyError, match=r"catalog\.json"):
        pdf_table(BRAND.parent / "services" / "subscriptions" / "chalicelib" / "catalog.json")


def test_a_pdf_label_override_no_table_has_is_refused_with_its_key(tmp_path):
    texts = {
        "fr": {
            "pdf.invoice.labels.total_incl": "Net à payer",  # known
            "pdf.invoice.labels.total_inc": "Net",  # a typo
            "pdf.contract.labels.holder": "Abonné",  # the table is "documents"
            "pdf.invoice.labels": "Libellés",  # a table, not a label
            "labels.holder": "Abonné",  # a label without its table
        }
    }
    brand = load_brand(BRAND).model_copy(update={"texts": texts})

    assert unknown_texts(brand) == {
        "fr": [
            "labels.holder",
            "pdf.contract.labels.holder",
            "pdf.invoice.labels",
            "pdf.invoice.labels.total_inc",
        ]
    }
    with pytest.raises(BrandError, match=r"texts\.fr: labels\.holder, pdf\.contract\.labels\.holder"):
        load_brand(_copy(tmp_path, texts=texts))


@pytest.mark.parametrize(
    ("wording", "fits"),
    [
        ("Feuillet {n}", True),
        ("Feuillet", True),  # a placeholder may be left out
        ("{{Feuillet}} {n}", True),  # doubled braces print one
        ("Feuillet {page}", False),  # the label fills {n} only
        ("Feuillet {}", False),
        ("Feuillet {n", False),
    ],
)
def test_a_pdf_label_override_keeps_to_the_labels_placeholders(tmp_path, wording, fits):
    folder = _copy(tmp_path, texts={"it": {"pdf.letterhead.page": wording}})

    if fits:
        assert load_brand(folder).text("it", "pdf.letterhead.page", "") == wording
    else:
        with pytest.raises(
            BrandError, match=r"placeholders they do not fill \(texts\.it: pdf\.letterhead\.page\)"
        ):
            load_brand(folder)
