"""The customer's bank account: IBAN, BIC and holder validation, masking, mandate references."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_DIR))

from chalicelib.bank_details import BankDetails, mandate_reference, mask, validate  # noqa: E402
from guichet_contracts.errors import ValidationFailed  # noqa: E402

CREDIT_AGRICOLE = "FR7630006000011234567890189"  # bank code 30006, AGRIFRPPXXX
BANQUE_POSTALE = "FR1420041010050500013M02606"  # bank code 20041, PSSTFRPP
CA_REUNION = "FR7619906000010000000000153"  # bank code 19906, AGRIRERX (a BIC of RE)
UNKNOWN_FRENCH_BANK = "FR7699999000010000000000115"  # bank code 99999, not in schwifty
DEUTSCHE = "DE89370400440532013000"  # COBADEFFXXX
SWISS = "CH9300762011623852957"
BRITISH = "GB33BUKB20201555555555"  # BUKBGB22
FINNISH = "FI2112345600000785"
RUM = re.compile(r"[A-Z0-9+?/\-:().,' ]{1,35}")


def problems(iban: object, bic: object, holder: object) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        validate(iban, bic, holder)  # type: ignore[arg-type]
    error = raised.value
    assert error.status == 422
    assert error.code == "validation_failed"
    assert error.body()["error"]["fields"] == error.fields
    return error.fields


# --- valid accounts ---------------------------------------------------------------------------


def test_a_french_iban_with_spaces_and_no_bic() -> None:
    details = validate("fr76 3000 6000 0112 3456 7890 189", None, "  Jean   Dupont ")

    assert details == BankDetails(iban=CREDIT_AGRICOLE, bic="AGRIFRPPXXX", holder="Jean Dupont", country="FR")


@pytest.mark.parametrize("bic", [None, "", "   "])
def test_the_bic_is_derived_from_the_iban(bic: str | None) -> None:
    assert validate(BANQUE_POSTALE, bic, "Marie Curie").bic == "PSSTFRPP"
    assert validate(DEUTSCHE, bic, "Hans Müller").bic == "COBADEFFXXX"
    assert validate(CA_REUNION, bic, "Paul Hoarau").bic == "AGRIRERX"


def test_a_bic_given_is_kept_in_capitals() -> None:
    details = validate(CREDIT_AGRICOLE, " agri fr pp ", "Jean Dupont")

    assert details.bic == "AGRIFRPP"


@pytest.mark.parametrize("bic", ["AGRIFRPP", "AGRIFRPPXXX", "AGRIFRPP882", "BNPAFRPP"])
def test_a_bic_of_the_iban_country_is_accepted(bic: str) -> None:
    # the country decides; the bank code of the IBAN does not have to be the BIC's bank
    assert validate(CREDIT_AGRICOLE, bic, "Jean Dupont").bic == bic


def test_sepa_countries_outside_the_euro_are_accepted() -> None:
    assert validate(SWISS, "UBSWCHZH80A", "Heidi Meier").country == "CH"
    assert validate(BRITISH, None, "John Smith").bic == "BUKBGB22"


# --- IBAN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890188",  # last digit changed
        "FR7630006000011234567809189",  # two digits swapped
        "FR0030006000011234567890189",
        "DE89370400440532013001",
    ],
)
def test_a_wrong_checksum_is_a_422_on_iban(iban: str) -> None:
    fields = problems(iban, "AGRIFRPP", "Jean Dupont")

    assert set(fields) == {"iban"}
    assert "check digits" in fields["iban"]


@pytest.mark.parametrize(
    ("iban", "words"),
    [
        ("FR763000600001123456789018", "length"),
        ("FR76300060000112345678901890", "length"),
        ("US64SVBKUS6S3300958879", "country"),
        ("XX7630006000011234567890189", "country"),
        ("FR76-3000-6000-0112-3456-7890-189", "letters, digits and spaces"),
        ("FR76 3000 6000 0112 3456 7890 18é", "letters, digits and spaces"),
        ("30006000011234567890189", "not an IBAN"),
        ("FR", "not an IBAN"),
        ("", "required"),
        (None, "required"),
        (12345, "text"),
    ],
)
def test_malformed_ibans(iban: object, words: str) -> None:
    fields = problems(iban, "AGRIFRPP", "Jean Dupont")

    assert set(fields) == {"iban"}
    assert words in fields["iban"]


@pytest.mark.parametrize(
    "iban",
    [
        "MA64011519000001205000534921",  # Morocco
        "TR330006100519786457841326",  # Turkey
        "BR1800360305000010009795493C1",  # Brazil
        "SA0380000000608010167519",  # Saudi Arabia
    ],
)
def test_an_iban_outside_sepa_is_refused(iban: str) -> None:
    from schwifty import IBAN

    assert IBAN(iban).is_valid  # valid, only not SEPA
    fields = problems(iban, None, "Ali Ben")

    assert set(fields) == {"iban"}
    assert "SEPA" in fields["iban"]
    assert iban[:2] in fields["iban"]


# --- BIC --------------------------------------------------------------------------------------


def test_a_bic_from_another_country_does_not_match() -> None:
    fields = problems(DEUTSCHE, "AGRIFRPP", "Hans Müller")

    assert fields == {"bic": "does not match the IBAN's bank"}


@pytest.mark.parametrize(
    ("iban", "bic"),
    [
        (CREDIT_AGRICOLE, "DEUTDEFF"),
        (CREDIT_AGRICOLE, "BUKBGB22"),
        (BRITISH, "AGRIFRPP"),
        (SWISS, "COBADEFFXXX"),
        (FINNISH, "DEUTDEFF"),
    ],
)
def test_mismatched_bics(iban: str, bic: str) -> None:
    assert problems(iban, bic, "Jo Doe") == {"bic": "does not match the IBAN's bank"}


@pytest.mark.parametrize(
    ("iban", "bic"),
    [
        (CA_REUNION, "AGRIRERX"),  # schwifty lists AGRIRERX for French bank code 19906
        (CA_REUNION, "AGRIRERXXXX"),
        (CREDIT_AGRICOLE, "BNPARERX"),  # Réunion banks under French IBANs
        (CREDIT_AGRICOLE, "AGRIMQMX"),  # Martinique
        (CREDIT_AGRICOLE, "BCADNCNN"),  # New Caledonia
        (BRITISH, "HSBCJESH"),  # Jersey under GB IBANs
        (FINNISH, "OKOYAXHH"),  # Åland under FI IBANs
    ],
)
def test_territories_banking_under_the_iban_country(iban: str, bic: str) -> None:
    assert validate(iban, bic, "Jo Doe").bic == bic


@pytest.mark.parametrize(
    "bic",
    ["AGRIFRP", "AGRIFRPPXX", "AGRIFRPPXXXX", "AGRIQQPP", "AGRI1RPP", "AGRI-FRPP", "BIC?", 42],
)
def test_an_invalid_bic(bic: object) -> None:
    fields = problems(CREDIT_AGRICOLE, bic, "Jean Dupont")

    assert set(fields) == {"bic"}
    assert fields["bic"] in ("is not a valid BIC", "must be a text")


@pytest.mark.parametrize("iban", [UNKNOWN_FRENCH_BANK, "VA59001123000012345678"])
def test_the_bic_is_required_when_it_cannot_be_derived(iban: str) -> None:
    assert problems(iban, None, "Jean Dupont") == {"bic": "is required for this IBAN"}


def test_a_bic_can_complete_an_iban_schwifty_does_not_know() -> None:
    details = validate(UNKNOWN_FRENCH_BANK, "CMCIFRPP", "Jean Dupont")

    assert details.bic == "CMCIFRPP"


def test_a_wrong_iban_says_nothing_of_a_missing_bic() -> None:
    assert set(problems("FR7630006000011234567890188", None, "Jean Dupont")) == {"iban"}


def test_every_wrong_field_is_named() -> None:
    fields = problems("FR7630006000011234567890188", "NOPE", "J")

    assert set(fields) == {"iban", "bic", "holder"}


# --- holder -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holder", "kept"),
    [
        ("Jean Dupont", "Jean Dupont"),
        ("  Zoë Lefèvre-Dupré  ", "Zoë Lefèvre-Dupré"),
        ("O'Brien & Co.", "O'Brien & Co."),
        ("Jeanne d’Arc", "Jeanne d'Arc"),
        ("1&1 Telecom SE", "1&1 Telecom SE"),
        ("Jean \u00a0 Dupont\n", "Jean Dupont"),
        ("Ζωή Παπαδοπούλου", "Ζωή Παπαδοπούλου"),
        ("Ab", "Ab"),
        ("A" * 70, "A" * 70),
    ],
)
def test_valid_holders(holder: str, kept: str) -> None:
    assert validate(CREDIT_AGRICOLE, None, holder).holder == kept


@pytest.mark.parametrize(
    ("holder", "words"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        (["Jean"], "text"),
        ("A", "at least 2"),
        (" A ", "at least 2"),
        ("A" * 71, "at most 70"),
        ("Jean\tDupont", "control characters"),
        ("Jean\x00Dupont", "control characters"),
        ("Jean\u200bDupont", "control characters"),
        ("Jean\x1b[31mDupont", "control characters"),
        ("Jean <Dupont>", "only letters"),
        ("jean@example.com", "only letters"),
        ("Jean Dupont 😀", "only letters"),
        ("Jean; DROP TABLE", "only letters"),
        ("--", "a letter or a digit"),
        ("' .", "a letter or a digit"),
    ],
)
def test_invalid_holders(holder: object, words: str) -> None:
    fields = problems(CREDIT_AGRICOLE, None, holder)

    assert set(fields) == {"holder"}
    assert words in fields["holder"]


# --- mask -------------------------------------------------------------------------------------


def test_mask_of_a_french_iban() -> None:
    assert mask(CREDIT_AGRICOLE) == "FR76 **** **** **** **** ***0 189"
    assert mask("fr76 3000 6000 0112 3456 7890 189") == "FR76 **** **** **** **** ***0 189"
    assert mask(BANQUE_POSTALE) == "FR14 **** **** **** **** ***2 606"


def test_mask_keeps_the_length_and_shows_only_the_ends() -> None:
    masked = mask(DEUTSCHE)

    assert masked == "DE89 **** **** **** **30 00"
    assert len(masked.replace(" ", "")) == len(DEUTSCHE)
    assert masked.replace(" ", "").strip("*").replace("*", "") == "DE893000"


@pytest.mark.parametrize("value", ["", "FR76", "FR7630006", "FR763000"])
def test_mask_of_something_short_hides_everything_but_the_country(value: str) -> None:
    masked = mask(value).replace(" ", "")

    assert len(masked) == len(value)
    if len(value) > 8:
        assert masked == value[:4] + "*" * (len(value) - 8) + value[-4:]
    else:
        assert set(masked) <= {"*"}


# --- mandate reference ------------------------------------------------------------------------


def test_mandate_reference_example() -> None:
    assert mandate_reference("ab123456-GU", 1) == "GUICHET-AB123456GU-0001"
    assert mandate_reference("AB123456-gu", 1) == "GUICHET-AB123456GU-0001"


@pytest.mark.parametrize(
    ("sequence", "suffix"), [(1, "-0001"), (42, "-0042"), (9999, "-9999"), (12345, "-12345")]
)
def test_mandate_reference_sequence(sequence: int, suffix: str) -> None:
    reference = mandate_reference("ab123456-GU", sequence)

    assert reference.endswith(suffix)
    assert RUM.fullmatch(reference)


@pytest.mark.parametrize(
    "customer_id",
    [
        "ab123456-GU",
        "zz999999-ABCDEFGHIJ",  # the longest suffix auth allows
        "3f2a9c1e-0000-4000-8000-123456789abc",  # a UUID is too long: digested
        "client/42 été",  # characters outside the RUM set: digested
        "x" * 200,
    ],
)
def test_mandate_references_fit_sepa(customer_id: str) -> None:
    for sequence in (1, 9999, 123456):
        reference = mandate_reference(customer_id, sequence)

        assert len(reference) <= 35
        assert RUM.fullmatch(reference), reference
        assert reference.startswith("GUICHET-")
        assert "//" not in reference and not reference.startswith("/") and not reference.endswith("/")
        assert mandate_reference(customer_id, sequence) == reference


def test_mandate_references_are_unique() -> None:
    ids = [
        "ab123456-GU",
        "ab123457-GU",
        "3f2a9c1e-0000-4000-8000-123456789abc",
        "3f2a9c1e-0000-4000-8000-123456789abd",
    ]
    references = {mandate_reference(customer_id, sequence) for customer_id in ids for sequence in (1, 2)}

    assert len(references) == len(ids) * 2


@pytest.mark.parametrize(
    ("customer_id", "sequence"),
    [("ab123456-GU", 0), ("ab123456-GU", -1), ("ab123456-GU", True), ("", 1), ("  ", 1)],
)
def test_mandate_reference_refuses_bad_input(customer_id: str, sequence: int) -> None:
    with pytest.raises(ValueError):
        mandate_reference(customer_id, sequence)


def test_schwifty_is_imported_only_when_needed() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import chalicelib.bank_details; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'schwifty') "
        "or m == 'chalicelib.settings']; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(SERVICE_DIR)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
