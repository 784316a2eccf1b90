"""Request bodies of the auth API, validated with pydantic (imported only by routes that take a body).

Unknown fields are refused (no mass assignment): PATCH /auth/me cannot touch customer_id, email,
status or any hash. Emails are normalised and lowercased, phones stored in E.164 (French
national numbers accepted), countries as ISO 3166-1 alpha-2 codes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from guichet_contracts import companies, validation
from guichet_contracts.validation import (
    EMAIL,
    MAYBE_EMPTY_PRINTABLE,
    NOT_BLANK,
    PRINTABLE,
    french_phone,
    not_null,
)
from guichet_contracts.words import Invalid
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from . import passwords, webhook_events
from .settings import settings

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PROTECTED_FIELDS = frozenset({"customer_id", "email", "status", "password", "password_hash", "created_at"})


def normalise_email(value: str) -> str:
    try:
        checked = validate_email(
            value.strip(), check_deliverability=False, test_environment=settings.accept_test_email_domains
        )
        return checked.normalized.lower()
    except EmailNotValidError:
        raise Invalid("field.email") from None


def normalise_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise Invalid("field.phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("field.phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str | None:
    """A stored number as people write it: French numbers in the national way ("03 20 12 34 56"),
    the others in the international one ("+39 06 1234 5678")."""
    if not e164:
        return None
    number = phonenumbers.parse(e164, None)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == "FR"
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise Invalid("field.country")
    return code


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise Invalid("field.control_characters")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
    Field(json_schema_extra=PRINTABLE),
]
OptionalText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    AfterValidator(_printable),
    Field(json_schema_extra=MAYBE_EMPTY_PRINTABLE),
]
Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(normalise_email), Field(json_schema_extra=EMAIL)
]
Phone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(normalise_phone),
    Field(json_schema_extra=french_phone),
]
Country = Annotated[
    str,
    AfterValidator(_country),
    Field(json_schema_extra={"enum": sorted(country.alpha_2 for country in pycountry.countries)}),
]
# a text the validator strips first: something else than spaces
Stripped = Annotated[str, Field(json_schema_extra=NOT_BLANK)]
Language = Literal["fr", "en", "it"]
# Passwords are taken exactly as typed: no stripping, no normalisation.
Password = Annotated[str, Field(min_length=1, max_length=1024)]
# A password being chosen: the document says the policy's lengths (passwords.check_policy checks
# them, and how guessable it is, answering weak_password), so that a client can say them first.
NewPassword = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        json_schema_extra={
            "minLength": passwords.MIN_LENGTH,
            "maxLength": passwords.MAX_LENGTH,
            "description": "Refused as weak_password when shorter, longer or easy to guess",
        },
    ),
]
Role = Literal["admin", "billing", "technical"]
# a business customer's identifiers (guichet_contracts.companies: format and check digits; VIES,
# which says whether a VAT number is registered, is not reachable: it is not asked)
AccountType = Annotated[
    Literal["individual", "business"],
    Field(
        description="business: company, SIREN/SIRET and VAT number; by default, business when one is given"
    ),
]
Siren = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(companies.siren),
    Field(description="SIREN, 9 digits (Luhn); spaces allowed, stored compact"),
]
Siret = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(companies.siret),
    Field(description="SIRET, 14 digits (Luhn), its first 9 the SIREN; spaces allowed, stored compact"),
]
VatNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32),
    AfterValidator(companies.vat_number),
    Field(
        description="EU VAT number with its country prefix (FR44732829320), checked by format and check "
        "digits only: VIES is not consulted"
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def field_problems(model: str, found: dict[str, str], given: dict[str, Any]) -> ValidationError:
    """Problems found across fields ({field: message id}) as pydantic's, each at its field."""
    return ValidationError.from_exception_data(
        model,
        [
            InitErrorDetails(
                type="value_error", loc=(name,), input=given.get(name), ctx={"error": Invalid(message_id)}
            )
            for name, message_id in sorted(found.items())
        ],
    )


class _BusinessIdentity(_Body):
    """A whole customer (registration, the provider's customers): a person, or a business with
    its identifiers (companies.account_problems); a SIRET alone gives the SIREN."""

    account_type: AccountType | None = None
    siren: Siren | None = None
    siret: Siret | None = None
    vat_number: VatNumber | None = None

    @model_validator(mode="after")
    def _business(self) -> _BusinessIdentity:
        address = getattr(self, "address", None)
        found = companies.account_problems(
            self.account_type,
            company=getattr(self, "company", None),
            siren=self.siren,
            siret=self.siret,
            vat_number=self.vat_number,
            country=address.country if address else None,
        )
        if found:
            raise field_problems(type(self).__name__, found, self.__dict__)
        if self.siret and not self.siren:
            self.siren = self.siret[:9]
        return self


class AddressBody(_Body):
    line1: Text
    line2: OptionalText | None = None
    postal_code: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    city: Text
    country: Country


class Registration(_BusinessIdentity):
    email: Email
    password: NewPassword
    first_name: Text
    last_name: Text
    phone: Phone | None = None
    backup_email: Email | None = None
    language: Language = "fr"
    company: OptionalText | None = None
    address: AddressBody | None = None


class Login(_Body):
    login: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Password
    # the refresh token in an HttpOnly cookie (session_cookie.py) instead of the answer's body
    cookie: Annotated[StrictBool, Field(description="Set the refresh token in an HttpOnly cookie")] = False
    # with `cookie`: the cookie outlives the browser's session (Max-Age), "stay signed in"
    remember: Annotated[StrictBool, Field(description="With cookie: keep it after the browser closes")] = (
        False
    )


class TokenBody(_Body):
    token: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class RefreshBody(_Body):
    # left out by a browser whose refresh token is in the session cookie (session_cookie.py)
    refresh_token: (
        Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)] | None
    ) = None


class ForgotBody(_Body):
    login: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


class RecoveryRequest(_Body):
    """A customer whose email is out of reach asks the provider to recover the account."""

    customer_id: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    contact_email: Email | None = None
    contact_phone: Phone | None = None
    message: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    language: Language = "fr"  # of the mails to the contact address


class RecoveryApproval(_Body):
    new_email: Email


class RecoveryRefusal(_Body):
    reason: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ResetBody(_Body):
    token: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
    new_password: NewPassword


class PasswordChange(_Body):
    current_password: Password
    new_password: NewPassword


class ProfileChanges(_Body):
    # the others may be null (cleared); these may be left out, never null (accounts.change_profile)
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=not_null("first_name", "last_name", "language", "account_type")
    )

    first_name: Text | None = None
    last_name: Text | None = None
    phone: Phone | None = None
    backup_email: Email | None = None
    language: Language | None = None
    company: OptionalText | None = None
    address: AddressBody | None = None
    # a business's identifiers: null clears one; account_type "individual" clears them all
    # (accounts.update_profile checks the account they make, companies.account_problems)
    account_type: AccountType | None = None
    siren: Siren | None = None
    siret: Siret | None = None
    vat_number: VatNumber | None = None


class EmailChangeRequest(_Body):
    new_email: Email
    password: Password


class ClosureRequest(_Body):
    password: Password  # the account's, confirming the closure


class CodeBody(_Body):
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


# --- the second factor (second_factor.py, passkeys.py) ---
TotpCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
RecoveryCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=20)]


class WebAuthnResponse(BaseModel):
    """A PublicKeyCredential as the browser's toJSON() writes it (bytes in base64url), answering
    navigator.credentials.create() or .get(); its `response` is checked by the webauthn library."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    rawId: Annotated[str, StringConstraints(min_length=1, max_length=1024)]  # WebAuthn's name
    type: Literal["public-key"]
    response: dict[str, Any]


MfaToken = Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class SecondFactorLogin(_Body):
    """The second step of a login: the login's mfa_token and one of code, recovery_code, passkey."""

    mfa_token: MfaToken
    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None
    passkey: WebAuthnResponse | None = None


class StepUp(_Body):
    """Prove again who one is: code, recovery_code or passkey with a second factor, else password."""

    password: Password | None = None
    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None
    passkey: WebAuthnResponse | None = None


class TotpConfirmation(_Body):
    code: TotpCode
    # a session of a password alone confirms with the password; one signed in with a second
    # factor needs it recent instead (step_up_required)
    password: Password | None = None


class PasswordConfirmation(_Body):
    password: Password | None = None


class PasskeyRegistration(_Body):
    credential: WebAuthnResponse
    name: Text = "Passkey"
    password: Password | None = None


class PasskeyChanges(_Body):
    name: Text


class PasskeyLogin(_Body):
    credential: WebAuthnResponse
    cookie: Annotated[StrictBool, Field(description="Set the refresh token in an HttpOnly cookie")] = False
    remember: Annotated[StrictBool, Field(description="With cookie: keep it after the browser closes")] = (
        False
    )


class ContactBody(_Body):
    name: Text
    email: Email | None = None
    phone: Phone | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=3)]


class ContactChanges(_Body):
    # email and phone may be null (cleared); these may be left out, never null (contacts.change)
    model_config = ConfigDict(extra="forbid", json_schema_extra=not_null("name", "roles"))

    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=3)] | None = None


# the provider's own id of a customer (its CRM's, its billing's): the key of an import
EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$"
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=EXTERNAL_ID)]


class OperatorCustomer(_BusinessIdentity):
    """A customer as the provider's systems know it: PUT /auth/operator/customers/{external_id},
    and each row of an import (customer_import.py). No password: the customer chooses it from
    the invitation mailed to `email`."""

    email: Email
    first_name: Text
    last_name: Text
    phone: Phone | None = None
    language: Language = "fr"
    company: OptionalText | None = None
    address: AddressBody | None = None


class ImportedCustomer(OperatorCustomer):
    """One row of a customers file: the customer and the provider's id of it."""

    external_id: ExternalId


class Activation(_Body):
    token: Annotated[Stripped, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
    password: Password


Body = TypeVar("Body", bound=_Body)


def parse(model: type[Body], data: dict[str, Any]) -> Body:
    """The body as `model`, or a 422 naming every field that is wrong."""
    return validation.parse(model, data, protected=PROTECTED_FIELDS)


# --- webhook endpoints of the operator API (webhook_endpoints.py) ------------------------------


def _webhook_url(value: str) -> str:
    from .webhook_endpoints import checked_url

    return checked_url(value)


def _event_types(values: list[str]) -> list[str]:
    """Each type once, in order; `*` (every type) alone when it is there."""
    return ["*"] if "*" in values else sorted(set(values))


WebhookUrl = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_webhook_url),
    Field(json_schema_extra={"format": "uri", "description": "https on a public address"}),
]
EventType = Literal[("*", *webhook_events.EVENT_TYPES)]  # type: ignore[valid-type]
EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(webhook_events.EVENT_TYPES) + 1),
    AfterValidator(_event_types),
]


class WebhookEndpointBody(_Body):
    url: WebhookUrl
    event_types: EventTypes = Field(default_factory=lambda: ["*"])
    description: OptionalText | None = None


class WebhookEndpointChanges(_Body):
    # the description may be null (cleared); the others may be left out, never null
    model_config = ConfigDict(extra="forbid", json_schema_extra=not_null("url", "event_types", "enabled"))

    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    enabled: StrictBool | None = None
    description: OptionalText | None = None
