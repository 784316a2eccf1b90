"""The auth service's part of a customer's data export and of an account's closure
(guichet_contracts.personal_data; docs/PRIVACY.md).

Exported: the account (never the password's hash, nor a code's), its login names, sessions and
known devices, its second factors (the authenticator app's dates, never its secret nor its
recovery codes' digests; the passkeys: name, dates, credential id and public key), contacts,
the invitation of an imported customer and the provider's id, the recovery case open, the
exports asked for, and what this service knows of the contracts and amounts due (closure.py).

On closure: the account is kept as a pseudonymized record (its customer id, dates, status
`closed`) so that the id is never given again and events about it are understood; its login
names, sessions, devices, second factors (the passkeys' index by credential id too), contacts,
invitation, recovery case, provider's id and the ZIPs of its exports are deleted.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import personal_data
from pynamodb.exceptions import DoesNotExist

from .models import (
    Account,
    Contact,
    ContactCount,
    DataExport,
    ExportSlot,
    ExternalId,
    Invitation,
    KnownDevice,
    LoginName,
    Passkey,
    PasskeyOwner,
    RecoveryCase,
    RecoveryOpen,
    Session,
    TotpAuthenticator,
    account_key,
    external_key,
    login_key,
    passkey_owner_key,
)
from .settings import settings

logger = Logger(child=True)

SERVICE = "auth"
EXPORTED = (
    "Account",
    "LoginName",
    "Session",
    "KnownDevice",
    "TotpAuthenticator",
    "Passkey",
    "Contact",
    "ContactCount",
    "Invitation",
    "ExternalId",
    "RecoveryCase",
    "RecoveryOpen",
    "DataExport",
    "ExportSlot",
    "ContractStanding",
    "InvoiceStanding",
)
NOT_EXPORTED = {
    "PasskeyOwner": "the index from a passkey's credential id to its account (the passkey is exported)",
    "RefreshToken": "the digest of a session's refresh token, a secret (it dies with its session)",
    "OneTimeToken": "the digest of a link's token, a secret (each expires within days)",
    "LoginThrottle": "counts of failed logins, by a digest of the login or address",
    "MailCap": "counts of mails sent to an address this hour, by a digest of the address",
    "CustomerImport": "an operator's customers file and its counts (expires)",
    "ImportPart": "an operator's customers file, compressed (expires)",
    "OperatorClient": "a machine client of the provider",
    "WebhookEndpoint": "where a machine client of the provider wants events",
    "WebhookDelivery": "an event sent to the provider's own systems (kept 30 days)",
}
TABULAR = {"Session": "sessions.csv", "Contact": "contacts.csv", "KnownDevice": "devices.csv"}
HIDDEN = ("password_hash", "code_hash", "digest", "due_pk", "due_at", "secret", "recovery_codes")


def _get(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk)
    except DoesNotExist:
        return None


def customer_items(customer_id: str) -> list[Any]:
    """Every item of the table about the customer."""
    from .models import ContractStanding, InvoiceStanding

    found: list[Any] = []
    pk = f"CUSTOMER#{customer_id}"
    for model, condition in (
        (Account, Account.sk == "ACCOUNT"),
        (Session, Session.sk.startswith("SESSION#")),
        (KnownDevice, KnownDevice.sk.startswith("DEVICE#")),
        (TotpAuthenticator, TotpAuthenticator.sk == "TOTP"),
        (Passkey, Passkey.sk.startswith("PASSKEY#")),
        (Contact, Contact.sk.startswith("CONTACT#")),
        (ContactCount, ContactCount.sk == "CONTACTS"),
        (Invitation, Invitation.sk == "INVITATION"),
        (RecoveryOpen, RecoveryOpen.sk == "RECOVERY_OPEN"),
        (DataExport, DataExport.sk.startswith("EXPORT#")),
        (ExportSlot, ExportSlot.sk == "EXPORT_SLOT"),
        (ContractStanding, ContractStanding.sk.startswith("STANDING#SUB#")),
        (InvoiceStanding, InvoiceStanding.sk.startswith("STANDING#INVOICE#")),
    ):
        found.extend(model.query(pk, condition))
    account = next((item for item in found if isinstance(item, Account)), None)
    if account is not None:
        found.extend(filter(None, [_get(LoginName, *login_key("email", account.email))]))
        if account.phone:
            found.extend(filter(None, [_get(LoginName, *login_key("phone", account.phone))]))
        if account.external_id:
            found.extend(filter(None, [_get(ExternalId, *external_key(account.external_id))]))
    for passkey in [item for item in found if isinstance(item, Passkey)]:
        found.extend(filter(None, [_get(PasskeyOwner, *passkey_owner_key(passkey.credential_id))]))
    for open_case in [item for item in found if isinstance(item, RecoveryOpen)]:
        found.extend(filter(None, [_get(RecoveryCase, f"RECOVERY#{open_case.case_id}", "RECOVERY")]))
    return found


def export(export_id: str, customer_id: str) -> list[str]:
    """Write the customer's part of export `export_id`; the keys written."""
    part = personal_data.Part(SERVICE, customer_id)
    part.add(customer_items(customer_id), hidden=HIDDEN)
    return part.write(settings.exports_bucket, export_id, tabular=TABULAR)


def erase(customer_id: str) -> int:
    """Erase the customer's personal data here (CustomerClosed); the items changed or deleted.
    Running it again changes nothing more."""
    from .data_exports import delete_files

    changed = 0
    account = _get(Account, *account_key(customer_id))
    for item in customer_items(customer_id):
        if isinstance(item, (Account, DataExport)) or type(item).__name__ in (
            "ContractStanding",
            "InvoiceStanding",
        ):
            continue
        item.delete()
        changed += 1
    for export in DataExport.query(f"CUSTOMER#{customer_id}", DataExport.sk.startswith("EXPORT#")):
        changed += delete_files(export.export_id)
    if account is not None and account.email != _erased_email(customer_id):
        account.update(
            actions=[
                Account.email.set(_erased_email(customer_id)),
                Account.first_name.set(personal_data.ERASED),
                Account.last_name.set(personal_data.ERASED),
                Account.password_hash.set(""),  # no password matches it
                Account.phone.remove(),
                Account.backup_email.remove(),
                Account.company.remove(),
                Account.address.remove(),
                Account.pending_email.remove(),
                Account.due_pk.remove(),
                Account.due_at.remove(),
                Account.external_id.remove(),
                Account.second_factors.remove(),
                Account.siren.remove(),
                Account.siret.remove(),
                Account.vat_number.remove(),
            ]
        )
        changed += 1
    logger.info("customer's personal data erased", extra={"customer_id": customer_id, "changed": changed})
    return changed


def _erased_email(customer_id: str) -> str:
    # the attribute is required: a placeholder that names no mailbox (.invalid, RFC 2606)
    return f"{customer_id.lower()}@closed.invalid"
