"""The identifiers of a business customer: its SIREN, the SIRET of its establishment, its EU VAT number.

One place checks them, with python-stdnum, wherever they are read: the auth service's requests
(registration, profile, the provider's customers and their import) and the events that carry
them to the other services (CustomerRegistered/CustomerUpdated version 3 validate on read).

- SIREN: 9 digits, Luhn check (INSEE); SIRET: 14 digits, Luhn check (La Poste's establishments
  have their own rule, which stdnum knows); its first 9 digits are the SIREN.
- VAT number: an EU member state's format and check digits (stdnum.eu.vat: the two-letter
  prefix, "EL" for Greece, "XI" for Northern Ireland), written compact and upper case
  ("FR44732829320", "IT00743110157"). A French one (FR + 2-character key + SIREN) must name the
  customer's SIREN. Whether the number is registered and active is VIES's answer, and VIES is
  not reachable from here: a number is checked by its form only.

Each check returns the compact value or raises words.Invalid with its phrase (a ValueError,
which a pydantic validator turns into a 422 field problem or a refused event). stdnum's
modules used here take about 2 ms to import and come with this module, so that a service
reading the customer events loads them as soon as it reads one (what the packaged handlers'
check sees), not only when an event first carries a business's identifiers.
"""

from __future__ import annotations

from typing import Any

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as french_siren
from stdnum.fr import siret as french_siret

from .words import Invalid

# What a customer types between the characters of an identifier: spaces, dots, dashes.
_SEPARATORS = str.maketrans("", "", " .-\u00a0")


def compact(value: str) -> str:
    return value.translate(_SEPARATORS).upper()


def siren(value: str) -> str:
    """A SIREN, compact ("732829320"); Invalid("field.siren") otherwise."""

    try:
        return str(french_siren.validate(compact(value)))
    except ValidationError:
        raise Invalid("field.siren") from None


def siret(value: str) -> str:
    """A SIRET, compact ("73282932000074"); Invalid("field.siret") otherwise."""

    try:
        return str(french_siret.validate(compact(value)))
    except ValidationError:
        raise Invalid("field.siret") from None


def vat_number(value: str) -> str:
    """An EU VAT number with its country prefix, compact ("IT00743110157"); Invalid("field.vat_number")
    when its format or check digits are wrong for the member state it names."""

    number = compact(value)
    if len(number) < 4 or not number[:2].isalpha():  # the prefix is required: it says the state
        raise Invalid("field.vat_number")
    try:
        return str(eu_vat.validate(number))
    except ValidationError:
        raise Invalid("field.vat_number") from None


def vat_country(number: str) -> str:
    """The ISO 3166 country of a (valid) VAT number: "EL" is Greece ("GR"), "XI" Northern Ireland ("GB")."""
    prefix = number[:2].upper()
    return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)


def problems(identifiers: dict[str, Any]) -> dict[str, str]:
    """What is inconsistent between checked identifiers {siren, siret, vat_number}: the field → the
    message id of its problem (a SIRET of another SIREN, a French VAT number of another SIREN)."""
    found: dict[str, str] = {}
    siren_ = identifiers.get("siren")
    siret_ = identifiers.get("siret")
    vat = identifiers.get("vat_number")
    if siren_ and siret_ and siret_[:9] != siren_:
        found["siret"] = "field.siret_of_another_siren"
    company_siren = siren_ or (siret_[:9] if siret_ else None)
    if vat and vat.startswith("FR") and company_siren and vat[4:] != company_siren:
        found["vat_number"] = "field.vat_number_of_another_siren"
    return found


def account_problems(
    account_type: str | None,
    *,
    company: str | None,
    siren: str | None,
    siret: str | None,
    vat_number: str | None,
    country: str | None,
) -> dict[str, str]:
    """What a customer's account lacks or contradicts: the field → the message id of its problem.

    An account is a business's when it says so (`account_type`), or when it has an identifier.
    A business has a company name, and a SIREN (or a SIRET) when it is French (its address is in
    France, or it has none), a SIREN, a SIRET or a VAT number otherwise. A person's account has
    none of them."""
    identifiers = {"siren": siren, "siret": siret, "vat_number": vat_number}
    if account_type is None:
        account_type = "business" if any(identifiers.values()) else "individual"
    if account_type == "individual":
        return {name: "field.business_only" for name, value in identifiers.items() if value}
    found = problems(identifiers)
    if not company:
        found["company"] = "field.required_for_business"
    french = (country or "FR") == "FR"
    if not (siren or siret) and (french or not vat_number):
        found.setdefault("siren", "field.required_for_business")
    return found
