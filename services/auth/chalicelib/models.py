"""PynamoDB models of the auth table (single-table design; `pk`/`sk`, GSI `due`).

| item | pk | sk |
|---|---|---|
| Account | CUSTOMER#<customer_id> | ACCOUNT |
| Session | CUSTOMER#<customer_id> | SESSION#<session_id> |
| KnownDevice (a device logged in from, login_notices.py) | CUSTOMER#<customer_id> | DEVICE#<cookie sha256> |
| Contact | CUSTOMER#<customer_id> | CONTACT#<contact_id> |
| TotpAuthenticator (an authenticator app, second_factor.py) | CUSTOMER#<customer_id> | TOTP |
| Passkey (a WebAuthn credential: passkeys.py) | CUSTOMER#<customer_id> | PASSKEY#<credential id> |
| PasskeyOwner (whose a credential is, for a login by passkey alone) | PASSKEY#<credential id> | PASSKEY |
| ContactCount | CUSTOMER#<customer_id> | CONTACTS |
| LoginName (unique email / phone) | LOGIN#email:<address> or LOGIN#phone:<E.164> | LOGIN |
| RefreshToken | REFRESH#<sha256> | REFRESH |
| OneTimeToken (verify, reset, refuse, close, MFA login step, WEBAUTHN challenge) | <KIND>#<sha256> | <KIND> |
| LoginThrottle | THROTTLE#<customer or login digest> | THROTTLE |
| MailCap (the account mails one address got this hour) | MAILCAP#<address digest> | MAILCAP |
| ExternalId (the provider's id of a customer, unique) | EXTERNAL#<external_id> | EXTERNAL |
| Invitation (the activation mail of an imported customer) | CUSTOMER#<customer_id> | INVITATION |
| CustomerImport (a file of customers and its report) | IMPORT#<import_id> | IMPORT |
| ImportPart (the file, then the report, compressed, in parts) | IMPORT#<import_id> | FILE#<n> or REPORT#<n> |
| OperatorClient (a machine client, machine_clients.py) | OPERATOR_CLIENTS | CLIENT#<client_id> |
| RecoveryCase (a request to recover an account, recovery.py) | RECOVERY#<case_id> | RECOVERY |
| RecoveryOpen (the account's one open recovery case) | CUSTOMER#<customer_id> | RECOVERY_OPEN |
| WebhookEndpoint (webhook_endpoints.py) | WEBHOOK_ENDPOINTS | ENDPOINT#<client_id>#<endpoint_id> |
| WebhookDelivery (an event for an endpoint) | WEBHOOK#<endpoint_id> | DELIVERY#<delivery_id> |
| DataExport (a copy of the customer's data, data_exports.py) | CUSTOMER#<customer_id> | EXPORT#<export_id> |
| ExportSlot (the customer's one export under way) | CUSTOMER#<customer_id> | EXPORT_SLOT |
| ContractStanding (a contract: closure.py) | CUSTOMER#<customer_id> | STANDING#SUB#<subscription_id> |
| InvoiceStanding (an amount due: closure.py) | CUSTOMER#<customer_id> | STANDING#INVOICE#<id> |

The `due` index holds only accounts with an email change waiting (due_pk = EMAIL_CHANGE,
due_at = when it applies), the imports queued (CUSTOMER_IMPORT), the open recovery cases
(RECOVERY_OPEN, by opening) and the webhook deliveries waiting for an attempt (WEBHOOK_RETRY,
due_at = the next attempt), so each job reads what is due and nothing else.
"""

from __future__ import annotations

from guichet_contracts import retries
from guichet_contracts.import_files import ImportPartData, ImportRecord
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .settings import settings

retries.use_for_dynamodb()  # DynamoDB's own retry policy, not PynamoDB's (guichet_contracts.retries)


class _AuthItem(Model):
    class Meta:
        table_name = settings.table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class Address(MapAttribute):
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute()
    city = UnicodeAttribute()
    country = UnicodeAttribute()


class PendingEmailChange(MapAttribute):
    request_id = UnicodeAttribute()
    new_email = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    requested_at = UTCDateTimeAttribute()
    apply_at = UTCDateTimeAttribute()


class DueIndex(GlobalSecondaryIndex["Account"]):
    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class Account(_AuthItem):
    customer_id = UnicodeAttribute()
    # pending_verification | invited (imported, no password yet) | active | closed (closure.py)
    status = UnicodeAttribute()
    email = UnicodeAttribute()
    password_hash = UnicodeAttribute()  # empty while invited: no password matches it
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    backup_email = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="fr")
    company = UnicodeAttribute(null=True)
    # a business customer's identifiers, compact (guichet_contracts.companies); none for a person
    siren = UnicodeAttribute(null=True)
    siret = UnicodeAttribute(null=True)
    vat_number = UnicodeAttribute(null=True)
    address = Address(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    email_verified_at = UTCDateTimeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    pending_email = PendingEmailChange(null=True)
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    due = DueIndex()
    external_id = UnicodeAttribute(null=True)  # the provider's own id, for an imported customer
    # the second factors set up ("totp", "passkey"): a login with a password asks one of them
    second_factors = UnicodeSetAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)  # the customer closed the account (closure.py)


class Session(_AuthItem):
    session_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    # how and when the customer last proved who they are in this session (the access tokens'
    # `amr` and `auth_time`): the login, then each step-up; none for a session older than them
    amr: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    auth_time = UTCDateTimeAttribute(null=True)


class TotpAuthenticator(_AuthItem):
    """The authenticator app of an account: its secret (never shown again after the enrolment,
    never logged), the last time step a code was taken for (no code is taken twice), and the
    digests of the unused recovery codes."""

    secret = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    confirmed_at = UTCDateTimeAttribute(null=True)  # None: enrolment waiting for its first code
    last_step = NumberAttribute(default=0)
    recovery_codes = UnicodeSetAttribute(null=True)


class Passkey(_AuthItem):
    credential_id = UnicodeAttribute()  # base64url
    public_key = UnicodeAttribute()  # COSE, base64url
    sign_count = NumberAttribute(default=0)
    transports = ListAttribute(of=UnicodeAttribute, null=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)


class PasskeyOwner(_AuthItem):
    customer_id = UnicodeAttribute()


class KnownDevice(_AuthItem):
    """A device the customer logged in from: its cookie's digest (the sort key), what it is, and
    the network it came from, so that a login from elsewhere is told to the customer."""

    browser = UnicodeAttribute(null=True)
    os = UnicodeAttribute(null=True)
    network = UnicodeAttribute(null=True)  # the client address's /24 (IPv4) or /48 (IPv6)
    first_seen_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()


class RefreshToken(_AuthItem):
    customer_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    state = UnicodeAttribute()  # active | rotated
    expires_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()
    # once rotated: when, and its successor sealed with a key only this token's bearer can derive
    # (so a refresh racing the rotation gets that successor again: sessions.py, grace window)
    rotated_at = UTCDateTimeAttribute(null=True)
    successor_sealed = UnicodeAttribute(null=True)
    # set at a login that asked for the session cookie, kept by each successor: whether the cookie
    # outlives the browser's session ("stay signed in"); None for a token kept by its client
    remember = BooleanAttribute(null=True)


class OneTimeToken(_AuthItem):
    customer_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_at_epoch = NumberAttribute()
    reference = UnicodeAttribute(null=True)  # what the token acts on, e.g. an email-change request id


class LoginName(_AuthItem):
    customer_id = UnicodeAttribute()


class LoginThrottle(_AuthItem):
    consecutive_failures = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)  # epoch seconds
    window_start = NumberAttribute(default=0)
    window_failures = NumberAttribute(default=0)
    expires_at_epoch = NumberAttribute()


class MailCap(_AuthItem):
    window_start = NumberAttribute()  # epoch seconds: the hour counted
    sent = NumberAttribute()
    expires_at_epoch = NumberAttribute()


class ExternalId(_AuthItem):
    customer_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()  # digest of the provider's data last applied (customer_import.py)
    updated_at = UTCDateTimeAttribute()


class Invitation(_AuthItem):
    """The invitation of an imported customer: its current link's digest, and when it was mailed
    (None: written, not yet mailed)."""

    digest = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)


class CustomerImport(ImportRecord, _AuthItem):
    """A customers file (import_files.ImportRecord); status inviting between its report and done."""

    invitations_sent = NumberAttribute(default=0)
    due_pk = UnicodeAttribute(null=True)  # while queued: in the `due` index for the job
    due_at = UnicodeAttribute(null=True)


class RecoveryCase(_AuthItem):
    """A request to recover an account whose email is out of reach, decided by the provider."""

    case_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    contact_phone = UnicodeAttribute(null=True)
    message = UnicodeAttribute()
    language = UnicodeAttribute()  # the requester's, for the mails to the contact address
    status = UnicodeAttribute()  # open | approved | refused
    opened_at = UTCDateTimeAttribute()
    ip = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)  # the operator token's sub
    new_email = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute()
    due_pk = UnicodeAttribute(null=True)  # while open: in the `due` index, for the operators' list
    due_at = UnicodeAttribute(null=True)


class RecoveryOpen(_AuthItem):
    case_id = UnicodeAttribute()


class ImportPart(ImportPartData, _AuthItem):
    pass


class Contact(_AuthItem):
    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    roles = ListAttribute(of=UnicodeAttribute)
    created_at = UTCDateTimeAttribute()


class ContactCount(_AuthItem):
    contacts = NumberAttribute(default=0)


class ClientSecret(MapAttribute):
    """One secret of a machine client: never the secret, its keyed digest (machine_clients.py)."""

    secret_id = UnicodeAttribute()
    salt = UnicodeAttribute()  # the HMAC key of this digest, random per secret
    digest = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)  # set when a rotation replaced it: the grace's end


class OperatorClient(_AuthItem):
    """A machine client of the operator API (OAuth 2.0 client credentials). The few clients of a
    deployment share one partition, so that listing them is one Query."""

    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute)
    secrets = ListAttribute(of=ClientSecret)  # one, or two during a rotation's grace
    created_at = UTCDateTimeAttribute()
    rotated_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=0)  # each change is conditional on the version it read


class EndpointSecret(MapAttribute):
    """A signing secret of a webhook endpoint. Kept as is: it signs (HMAC) every delivery, so the
    service must be able to use it; it is shown once, never logged, never listed."""

    secret = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)  # set when a rotation replaced it: the grace's end


class WebhookEndpoint(_AuthItem):
    """Where a machine client wants the events of some types POSTed, signed. The few endpoints
    of a deployment share one partition, so that the fan-out of an event is one Query."""

    endpoint_id = UnicodeAttribute()
    client_id = UnicodeAttribute()  # the operator client owning it (its token's sub)
    url = UnicodeAttribute()
    event_types = ListAttribute(of=UnicodeAttribute)  # public types, or ["*"]: every one
    description = UnicodeAttribute(null=True)
    enabled = BooleanAttribute()
    secrets = ListAttribute(of=EndpointSecret)  # one, or two during a rotation's grace
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)  # each change is conditional on the version it read


class WebhookDelivery(_AuthItem):
    """One event for one endpoint: the body sent on every attempt and where the attempts stand."""

    delivery_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()  # the public type (order.paid)
    body = UnicodeAttribute()  # the JSON sent, the same bytes on each attempt and replay
    status = UnicodeAttribute()  # pending | succeeded | failed
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()  # when the event happened (its occurred_at)
    give_up_at = UTCDateTimeAttribute()  # 72 h after: no automatic attempt after it
    next_attempt_at = UTCDateTimeAttribute(null=True)  # while pending
    last_attempt_at = UTCDateTimeAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute()  # the log is kept 30 days (the table's TTL)
    due_pk = UnicodeAttribute(null=True)  # while pending: in the `due` index for the retry job
    due_at = UnicodeAttribute(null=True)


class DataExport(_AuthItem):
    """A copy of the customer's data (GDPR articles 15 and 20): each service writes its part in
    the exports bucket, then this service assembles them into one ZIP (data_exports.py)."""

    export_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # preparing | ready
    requested_at = UTCDateTimeAttribute()
    parts = UnicodeSetAttribute(null=True)  # the services whose part is written
    zip_key = UnicodeAttribute(null=True)
    ready_at = UTCDateTimeAttribute(null=True)
    expires_at_epoch = NumberAttribute()  # the record is kept 30 days (the table's TTL)


class ExportSlot(_AuthItem):
    """The customer's one export under way: taken by a request, freed when its ZIP is ready, or
    by itself at `until` (an export whose part never came does not block the next for ever)."""

    export_id = UnicodeAttribute()
    until = NumberAttribute()  # epoch seconds
    expires_at_epoch = NumberAttribute()


class ContractStanding(_AuthItem):
    """A contract of the customer as subscriptions' events told it: running until `ended_on`."""

    subscription_id = UnicodeAttribute()
    label = UnicodeAttribute()
    ended_on = UnicodeAttribute(null=True)  # YYYY-MM-DD: its last day of service, once it ends
    stopped = BooleanAttribute(null=True)  # cancelled immediately: no service left on `ended_on`


class InvoiceStanding(_AuthItem):
    """An amount the customer owes on an invoice, as invoices' events told it, until it is paid
    or void."""

    invoice_id = UnicodeAttribute()
    number = UnicodeAttribute()
    amount_due_cents = NumberAttribute()
    currency = UnicodeAttribute()
    due_on = UnicodeAttribute()
    settled = BooleanAttribute(default=False)


def account_key(customer_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", "ACCOUNT"


def session_key(customer_id: str, session_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", f"SESSION#{session_id}"


def login_key(kind: str, value: str) -> tuple[str, str]:
    return f"LOGIN#{kind}:{value}", "LOGIN"


def token_key(kind: str, digest: str) -> tuple[str, str]:
    return f"{kind}#{digest}", kind


def external_key(external_id: str) -> tuple[str, str]:
    return f"EXTERNAL#{external_id}", "EXTERNAL"


def invitation_key(customer_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", "INVITATION"


def import_key(import_id: str, part: str = "IMPORT") -> tuple[str, str]:
    return f"IMPORT#{import_id}", part


OPERATOR_CLIENTS = "OPERATOR_CLIENTS"


def operator_client_key(client_id: str) -> tuple[str, str]:
    return OPERATOR_CLIENTS, f"CLIENT#{client_id}"


WEBHOOK_ENDPOINTS = "WEBHOOK_ENDPOINTS"


def webhook_endpoint_key(client_id: str, endpoint_id: str) -> tuple[str, str]:
    return WEBHOOK_ENDPOINTS, f"ENDPOINT#{client_id}#{endpoint_id}"


def webhook_delivery_key(endpoint_id: str, delivery_id: str) -> tuple[str, str]:
    return f"WEBHOOK#{endpoint_id}", f"DELIVERY#{delivery_id}"


def totp_key(customer_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", "TOTP"


def passkey_key(customer_id: str, credential_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", f"PASSKEY#{credential_id}"


def passkey_owner_key(credential_id: str) -> tuple[str, str]:
    return f"PASSKEY#{credential_id}", "PASSKEY"


def contact_key(customer_id: str, contact_id: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", f"CONTACT#{contact_id}"


_connection: Connection | None = None


def transaction() -> TransactWrite:
    """A write transaction on this table (one connection per container, made on first use)."""
    global _connection
    if _connection is None:
        _connection = Connection()
    return TransactWrite(connection=_connection)
