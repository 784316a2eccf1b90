"""The customer's bank account for SEPA direct debit: validation, masking, mandate reference.

`validate()` checks what the customer typed with schwifty and answers a 422 naming each wrong
field:

- iban: spaces allowed; the country's format and length, the mod-97 check digits, and a country
  schwifty places in the SEPA zone (EU/EEA, CH, GB, MC, SM, VA, AD and their territories).
- bic: optional when schwifty knows the IBAN's bank (French, German, Spanish... bank codes); it
  is then filled in. A BIC given must be well formed and in the IBAN's country, or in a country
  schwifty lists for that bank code (Crédit Agricole de la Réunion has FR IBANs and the BIC
  AGRIRERX), or a territory that banks under the IBAN's country (the French overseas
  departments and collectivities under FR, Jersey, Guernsey and Man under GB, Åland under FI).
- holder: 2 to 70 characters once stripped: letters, digits, spaces and ' - . & only.

schwifty is imported inside the functions: only the routes that take an IBAN pay for it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from base64 import b32encode
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guichet_contracts.errors import ValidationFailed
from guichet_contracts.words import Phrase

if TYPE_CHECKING:
    from schwifty import IBAN

HOLDER_MIN = 2
HOLDER_MAX = 70
HOLDER_PUNCTUATION = " '-.&"

MANDATE_PREFIX = "GUICHET"
MANDATE_MAX = 35
# The characters of a SEPA mandate reference (RUM); Guichet writes them in capitals.
MANDATE_CHARACTERS = re.compile(r"[A-Z0-9+?/\-:().,' ]{1,35}")

# Countries and territories that bank under another country's IBANs and BICs; a BIC from any
# country of a group matches an IBAN from any other country of the same group.
TERRITORY_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"FR", "GF", "GP", "MQ", "RE", "YT", "BL", "MF", "PM", "NC", "PF", "WF", "TF"}),
    frozenset({"GB", "GG", "JE", "IM"}),
    frozenset({"FI", "AX"}),
)


@dataclass(frozen=True)
class BankDetails:
    iban: str  # electronic format: capitals, no spaces
    bic: str  # 8 or 11 characters, capitals
    holder: str
    country: str  # the IBAN's ISO 3166 country code


def validate(iban: str, bic: str | None, holder: str) -> BankDetails:
    """The bank details in canonical form, or ValidationFailed naming every wrong field."""
    problems: dict[str, str] = {}

    account, problem = _parse_iban(iban)
    if problem:
        problems["iban"] = problem

    code, problem = _check_bic(bic, account)
    if problem:
        problems["bic"] = problem

    name, problem = _check_holder(holder)
    if problem:
        problems["holder"] = problem

    if problems or account is None or code is None or name is None:
        raise ValidationFailed(fields=problems)
    return BankDetails(iban=str(account), bic=code, holder=name, country=account.country_code)


def mask(iban: str) -> str:
    """The IBAN for display: country and check digits, stars, the last 4 ("FR76 **** ... ***0 189")."""
    compact = _compact(iban) if isinstance(iban, str) else ""
    visible = 4 if len(compact) > 8 else 0  # the country and check digits, and the last 4
    hidden = compact[:visible] + "*" * (len(compact) - 2 * visible) + compact[len(compact) - visible :]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def mandate_reference(customer_id: str, sequence: int) -> str:
    """The SEPA mandate reference (RUM) of the customer's `sequence`-th mandate.

    "GUICHET-<customer id in capitals, letters and digits only>-<sequence, 4 digits or more>",
    e.g. "GUICHET-AB123456GU-0001" for ab123456-GU. At most 35 characters: a customer id that
    would not fit, or has characters outside letters, digits and hyphens, is replaced by a
    digest of it (base32), so that the reference stays unique and the same for the same input.
    """
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError("sequence must be a positive integer")
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ValueError("customer_id is required")
    number = f"{sequence:04d}"
    room = MANDATE_MAX - len(MANDATE_PREFIX) - len(number) - 2
    if room < 8:
        raise ValueError("sequence is too large for a mandate reference")
    raw = customer_id.strip()
    cleaned = re.sub(r"[^A-Z0-9]", "", raw.upper())
    if not re.fullmatch(r"[A-Za-z0-9-]+", raw) or not cleaned or len(cleaned) > room:
        cleaned = b32encode(hashlib.sha256(raw.encode()).digest()).decode()[:room]
    reference = f"{MANDATE_PREFIX}-{cleaned}-{number}"
    if not MANDATE_CHARACTERS.fullmatch(reference):  # cannot happen; a RUM the bank refuses is worse
        raise ValueError("mandate reference outside the SEPA character set")
    return reference


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def _parse_iban(value: object) -> tuple[IBAN | None, str | None]:
    from schwifty import IBAN, exceptions

    if value is None or (isinstance(value, str) and not value.strip()):
        return None, Phrase("field.missing")
    if not isinstance(value, str):
        return None, Phrase("field.text")
    compact = _compact(value)
    if not re.fullmatch(r"[A-Z0-9]+", compact):
        return None, Phrase("field.iban_characters")
    if len(compact) < 5 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return None, Phrase("field.not_iban")
    try:
        account = IBAN(compact)
    except exceptions.InvalidCountryCode:
        return None, Phrase("field.iban_country", country=compact[:2])
    except exceptions.InvalidLength:
        return None, Phrase("field.iban_length", country=compact[:2])
    except exceptions.InvalidStructure:
        return None, Phrase("field.iban_format", country=compact[:2])
    except exceptions.InvalidChecksumDigits:
        return None, Phrase("field.iban_check_digits")
    except (exceptions.SchwiftyException, ValueError):
        return None, Phrase("field.iban")
    if not account.in_sepa_zone:
        return None, Phrase("field.iban_sepa", country=account.country_code)
    return account, None


def _check_bic(value: object, account: IBAN | None) -> tuple[str | None, str | None]:
    from schwifty import BIC, exceptions

    if value is None or (isinstance(value, str) and not value.strip()):
        if account is None:
            return None, None  # the IBAN is wrong: nothing to derive from, nothing to say yet
        derived = account.bic
        if derived is None:
            return None, Phrase("field.bic_required")
        return str(derived.compact), None
    if not isinstance(value, str):
        return None, Phrase("field.text")
    compact = _compact(value)
    try:
        code = BIC(compact)
    except (exceptions.SchwiftyException, ValueError):
        return None, Phrase("field.bic")
    if account is not None and code.country_code not in _bic_countries(account):
        return None, Phrase("field.bic_mismatch")
    return str(code.compact), None


def _bic_countries(account: IBAN) -> set[str]:
    """The countries a BIC of this IBAN's bank may carry."""
    from schwifty import BIC, exceptions

    country = account.country_code
    countries = {country}
    for group in TERRITORY_GROUPS:
        if country in group:
            countries |= group
    try:
        countries |= {bic.country_code for bic in BIC.candidates_from_bank_code(country, account.bank_code)}
    except (exceptions.SchwiftyException, ValueError):
        pass
    derived = account.bic
    if derived is not None:
        countries.add(derived.country_code)
    return countries


def _check_holder(value: object) -> tuple[str | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, Phrase("field.missing")
    if not isinstance(value, str):
        return None, Phrase("field.text")
    name = value.strip()
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        return None, Phrase("field.control_characters")
    name = " ".join(unicodedata.normalize("NFC", name).replace("\u2019", "'").split())
    if len(name) < HOLDER_MIN:
        return None, Phrase("field.string_too_short", min_length=HOLDER_MIN)
    if len(name) > HOLDER_MAX:
        return None, Phrase("field.string_too_long", max_length=HOLDER_MAX)
    if not all(_holder_char(char) for char in name):
        return None, Phrase("field.holder_characters")
    if not any(char.isalnum() for char in name):
        return None, Phrase("field.holder_letter")
    return name, None


def _holder_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in ("L", "M") or category == "Nd" or char in HOLDER_PUNCTUATION
