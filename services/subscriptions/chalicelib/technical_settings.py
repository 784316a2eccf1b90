"""What a customer may set on a subscription, and the options of an order line, checked per family.

`validate_settings` checks the technical settings of `PUT /subscriptions/{id}/settings`,
`validate_order_options` the `options` of an order line. Both return the values normalised (names
lowercased, phone numbers in E.164, hours as HH:MM) or raise ValidationFailed naming every wrong
field. Unknown fields are refused. No environment and no AWS here: the routes import this module
only when they take a body.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

from guichet_contracts.errors import ValidationFailed
from guichet_contracts.words import Invalid, Phrase
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

FAMILIES = ("domain", "website", "hosting", "internet", "mobile", "electricity")
# A product of these families does nothing until its settings are given (status `to_configure`).
_CONFIGURED_BEFORE_USE = frozenset({"domain", "website", "hosting", "internet"})

DEFAULT_OFF_PEAK_HOURS = ({"start": "22:00", "end": "06:00"},)
OFF_PEAK_MINUTES = 8 * 60

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_RESERVED_DATABASES = frozenset(
    {"mysql", "information_schema", "performance_schema", "sys", "master", "model", "msdb", "tempdb"}
)
_SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)
_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
# Mobile numbers of the French plan: 06 and 073 to 079 (ARCEP); 070 to 072 are not mobile lines.
_FRENCH_MOBILE = re.compile(r"^0(6\d|7[3-9])\d{7}$")


# --- normalising one value -----------------------------------------------------------------------


def _name(value: str, what: str) -> str:
    """A DNS name per RFC 1123, lowercased, in ASCII (IDN as punycode), at least two labels."""
    problem = f"field.{what.replace(' ', '_')}"  # field.domain_name, field.hostname, field.host_name
    name = value.strip().lower().removesuffix(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise Invalid(problem) from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise Invalid(problem)
    top = labels[-1]
    # An all-digit top label would make 192.0.2.1 a "name": addresses are not accepted here.
    if not (top.isalpha() or top.startswith("xn--")):
        raise Invalid(problem)
    return name


def _domain_name(value: str) -> str:
    return _name(value, "domain name")


def _hostname(value: str) -> str:
    return _name(value, "hostname")


def _no_duplicates(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise Invalid("field.no_duplicates")
    return values


def _https_url(value: str) -> str:
    url = value.strip()
    if not url or re.search(r"[\s\x00-\x1f\x7f]", url):
        raise Invalid("field.url")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise Invalid("field.https_url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("field.url_credentials")
    host = _name(parts.hostname or "", "host name")
    try:
        port = parts.port
    except ValueError:
        raise Invalid("field.port") from None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit(("https", netloc, parts.path or "/", parts.query, parts.fragment))


def _database_name(value: str) -> str:
    if not _DATABASE_NAME.match(value):
        raise Invalid("field.database_name")
    if value in _RESERVED_DATABASES:
        raise Invalid("field.database_reserved")
    return value


def _ssh_public_key(value: str) -> str:
    # A newline would add a second line, with its own options, to authorized_keys.
    line = value.strip()
    if _CONTROL.search(line):
        raise Invalid("field.single_line")
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0] not in _SSH_KEY_TYPES:
        raise Invalid("field.ssh_key_type")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("field.ssh_key") from None
    # The key itself starts with its type, length-prefixed: a pasted key of another type is caught here.
    length = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + length or blob[4 : 4 + length] != parts[0].encode():
        raise Invalid("field.ssh_key")
    return " ".join(parts)


def _ssid(value: str) -> str:
    if not value or len(value.encode("utf-8")) > 32:
        raise Invalid("field.ssid_length")
    if not value.isprintable():
        raise Invalid("field.printable")
    return value


def _wpa_passphrase(value: str) -> str:
    if not 8 <= len(value) <= 63:
        raise Invalid("field.passphrase_length")
    if not all(" " <= character <= "~" for character in value):
        raise Invalid("field.printable_ascii")
    return value


def _lowercase(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _blank_as_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise Invalid("field.control_characters")
    return value


def _clock(value: str) -> str:
    found = _CLOCK.match(value.strip())
    if not found:
        raise Invalid("field.time")
    return f"{int(found[1]):02d}:{found[2]}"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _pdl(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    if not re.fullmatch(r"\d{14}", digits):
        raise Invalid("field.pdl")
    return digits


def _iso_day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else _not_a_day()
    except ValueError:
        return _not_a_day()


def _not_a_day() -> str:
    raise Invalid("field.date")


def _postal_code(value: str) -> str:
    code = value.strip()
    if not re.fullmatch(r"\d{5}", code) or code.startswith("00"):
        raise Invalid("field.postal_code")
    return code


def _french_mobile(value: str) -> str:
    number = re.sub(r"[\s.\-()]", "", value)
    if number.startswith("+33"):
        number = "0" + number[3:]
    elif number.startswith("0033"):
        number = "0" + number[4:]
    if not _FRENCH_MOBILE.match(number):
        raise Invalid("field.french_mobile")
    return "+33" + number[1:]


DomainName = Annotated[str, StringConstraints(max_length=300), AfterValidator(_domain_name)]
Hostname = Annotated[str, StringConstraints(max_length=300), AfterValidator(_hostname)]
HttpsUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_https_url)]
SshPublicKey = Annotated[str, StringConstraints(max_length=8192), AfterValidator(_ssh_public_key)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_printable)
]
Clock = Annotated[str, StringConstraints(max_length=8), AfterValidator(_clock)]
Apn = Literal[
    "orange.fr", "orange", "sl2sfr", "websfr", "mmsbouygtel.com", "ebouygtel.com", "free", "internet"
]
APNS: tuple[str, ...] = get_args(Apn)


class _Model(BaseModel):
    # Strict: JSON types as they are, so "yes" is not a boolean and "6" is not a power.
    model_config = ConfigDict(extra="forbid", strict=True)


# --- technical settings (PUT /subscriptions/{id}/settings) ---------------------------------------


class DomainSettings(_Model):
    dns_servers: Annotated[list[Hostname], Field(min_length=2, max_length=6), AfterValidator(_no_duplicates)]
    redirect_to: HttpsUrl | None = None


class WebsiteSettings(_Model):
    domain: DomainName
    cms: Literal["none", "wordpress", "joomla", "prestashop"]


class HostingSettings(_Model):
    database_name: Annotated[str, StringConstraints(max_length=64), AfterValidator(_database_name)]
    php_version: Literal["8.1", "8.2", "8.3", "8.4"] | None = None
    # For the Windows packs; one model for the family, the product decides what is used.
    dotnet_version: Literal["4.8", "8.0", "9.0"] | None = None
    ssh_public_keys: Annotated[list[SshPublicKey], Field(max_length=10), AfterValidator(_no_duplicates)] = []


class InternetSettings(_Model):
    wifi_ssid: Annotated[str, AfterValidator(_ssid)]
    wifi_password: Annotated[str, AfterValidator(_wpa_passphrase)]
    static_ip: bool = False


class MobileSettings(_Model):
    apn: Annotated[Apn, BeforeValidator(_lowercase)]
    roaming: bool
    voicemail: bool


class ElectricitySettings(_Model):
    consumption_alert_kwh: Annotated[int, Field(gt=0, le=1_000_000)] | None = None
    monthly_report: bool


_SETTINGS: dict[str, type[_Model]] = {
    "domain": DomainSettings,
    "website": WebsiteSettings,
    "hosting": HostingSettings,
    "internet": InternetSettings,
    "mobile": MobileSettings,
    "electricity": ElectricitySettings,
}


# --- options of an order line (POST /subscriptions/orders, items[].options) ----------------------


class TimeRange(_Model):
    start: Clock
    end: Clock


class InstallationAddress(_Model):
    line1: Text
    # A form sends its empty second line as "": that is no second line.
    line2: Annotated[Text | None, BeforeValidator(_blank_as_none)] = None
    postal_code: Annotated[str, StringConstraints(max_length=16), AfterValidator(_postal_code)]
    city: Text


class ElectricityOptions(_Model):
    pdl: Annotated[str, StringConstraints(max_length=32), AfterValidator(_pdl)]
    subscribed_power_kva: Literal[3, 6, 9, 12, 15, 18, 24, 30, 36]
    tariff_option: Literal["base", "off_peak"]
    # Up to 3 periods; none given ([] or absent) on the off_peak option means 22:00-06:00.
    off_peak_hours: Annotated[list[TimeRange], Field(max_length=3)] | None = Field(
        default=None, validate_default=True
    )
    payment_mode: Literal["monthly", "per_invoice"] | None = None
    # the day the customer moves in, when the point is supplied under someone else's contract
    move_in_on: Annotated[str, StringConstraints(max_length=10), AfterValidator(_iso_day)] | None = None

    @field_validator("off_peak_hours")
    @classmethod
    def _fits_the_tariff_option(cls, hours: list[TimeRange] | None, info: ValidationInfo) -> Any:
        option = info.data.get("tariff_option")
        if option == "base":
            # Hours mean nothing on the base option; dropping them lets a PATCH that merges the
            # stored options switch from off_peak to base.
            return []
        if option != "off_peak":
            return hours  # the tariff option itself is wrong and reported
        if not hours:
            return [TimeRange.model_validate(period) for period in DEFAULT_OFF_PEAK_HOURS]
        covered: set[int] = set()
        total = 0
        for period in hours:
            start = _minutes(period.start)
            length = (_minutes(period.end) - start) % (24 * 60)
            if length == 0:
                raise Invalid("field.period_empty")
            covered.update((start + minute) % (24 * 60) for minute in range(length))
            total += length
        if len(covered) != total:
            raise Invalid("field.periods_overlap")
        if total != OFF_PEAK_MINUTES:
            raise Invalid("field.off_peak_total", hours=total // 60, minutes=f"{total % 60:02d}")
        return hours


class DomainOptions(_Model):
    domain_name: DomainName


class WebsiteOptions(_Model):
    domain_name: DomainName | None = None


class HostingOptions(_Model):
    domain_name: DomainName | None = None


class MobileOptions(_Model):
    port_in_number: (
        Annotated[str, StringConstraints(max_length=32), AfterValidator(_french_mobile)] | None
    ) = None


class InternetOptions(_Model):
    installation_address: InstallationAddress


_OPTIONS: dict[str, type[_Model]] = {
    "domain": DomainOptions,
    "website": WebsiteOptions,
    "hosting": HostingOptions,
    "internet": InternetOptions,
    "mobile": MobileOptions,
    "electricity": ElectricityOptions,
}


# --- public functions ----------------------------------------------------------------------------


def settings_required(family: str) -> bool:
    """Whether a new subscription of `family` waits in `to_configure` until its settings are given."""
    _known(family)
    return family in _CONFIGURED_BEFORE_USE


def validate_settings(family: str, data: dict[str, Any]) -> dict[str, Any]:
    """The technical settings of a subscription of `family`, normalised, or a 422 naming each wrong field."""
    return _validated(_SETTINGS[_known(family)], data, root="settings")


def validate_order_options(family: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """The options of an order line for a product of `family`, normalised, or a 422 naming each wrong field.

    An electricity order on the off_peak option without hours gets 22:00-06:00; on the base option,
    its hours are [] whatever was sent. Normalised options validate again to themselves, so stored
    options merged with a change can be checked again.
    """
    return _validated(_OPTIONS[_known(family)], {} if options is None else options, root="options")


def _known(family: str) -> str:
    # The family comes from the catalog, never from the customer: an unknown one is a bad catalog.
    if family not in FAMILIES:
        raise ValueError(f"unknown product family {family!r}")
    return family


def _validated(model: type[_Model], data: Any, root: str) -> dict[str, Any]:
    try:
        return model.model_validate(data).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        raise ValidationFailed(fields=_fields(error, root)) from None


def _fields(error: ValidationError, root: str) -> dict[str, str]:
    """Pydantic's errors as {"dotted.path": Phrase}, as every service words them (validation.phrase).

    List positions are left out of the path (a form has one field per list) and named in the
    message instead, counting from 1.
    """
    from guichet_contracts.validation import phrase

    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        location = problem["loc"]
        name = ".".join(str(part) for part in location if not isinstance(part, int)) or root
        message = phrase(problem["type"], problem.get("ctx") or {})
        entries = [part + 1 for part in location if isinstance(part, int)]
        if entries:
            message = Phrase("field.in_entry", problem=message, entries=entries)
        fields.setdefault(name, message)
    return fields
