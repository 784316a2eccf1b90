"""Customers brought in by the provider's systems, keyed by the provider's own id (external_id).

One customer (PUT /auth/operator/customers/{external_id}) or a file of thousands (CSV or JSON
Lines, POST /auth/operator/customers/imports) go through `apply`: each row is validated with the
rules of registration (schemas.ImportedCustomer) and is then, by its external_id,

- created: an account without a password (status `invited`) with its unique login names, the
  ExternalId item and, afterwards, an invitation by mail (invitations.py);
- updated: names, phone, address, company (a business's SIREN, SIRET, VAT number too) and
  language set from the row (a field the row leaves out or empty is kept: an import never
  clears what the customer wrote; the email is the customer's own login, changed only by them,
  never by an import);
- unchanged: the row is the one applied last time (ExternalId.fingerprint), nothing is written,
  so importing a file again changes nothing and mails nobody;
- rejected: each wrong field named in the API's words, with the line number.

Email and phone stay unique across accounts as at registration: LoginName items written in the
same TransactWriteItems as the account, each with its condition. BatchWriteItem would be one
request per 25 items but cannot condition, so a registration racing the import could make a
second account for one address; a transaction holds up to 100 items, about 25 new customers
(account, email, phone, external id), so a file costs about one request per 25 rows to write,
plus one BatchGetItem per 100 rows for each lookup (external ids, then emails and phones). A
transaction refused as a whole (a condition failed: an address registered meanwhile, a customer
id drawn twice) is replayed row by row, and only the row at fault is rejected.

A file is kept in the table (compressed, in parts) when it is submitted and applied by the
`apply_customer_imports` job, because a request through API Gateway must answer within 29 s
while thousands of rows, their writes and their mails take minutes; the job's Lambda may run
15 minutes, and a file it could not finish (the mails, paced to SES's sending rate) is taken up
again by its next run. The report (a line per row) is kept with the file for 30 days.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import import_files
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from . import accounts, customer_events
from .errors import NotFound, ValidationFailed
from .models import (
    Account,
    Address,
    CustomerImport,
    ExternalId,
    ImportPart,
    LoginName,
    account_key,
    external_key,
    login_key,
    transaction,
)

logger = Logger(child=True)

MAX_FILE_BYTES = import_files.MAX_FILE_BYTES
MAX_ROWS = import_files.MAX_ROWS
TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
QUEUED = "CUSTOMER_IMPORT"  # due_pk of an import waiting for the job (the `due` index)

# the columns of a CSV file; the address in address_* columns
COLUMNS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "language",
    "company",
    "account_type",
    "siren",
    "siret",
    "vat_number",
    "address_line1",
    "address_line2",
    "address_postal_code",
    "address_city",
    "address_country",
)
REQUIRED_COLUMNS = ("external_id", "email", "first_name", "last_name")
_UPDATABLE = (
    "first_name",
    "last_name",
    "phone",
    "language",
    "company",
    "address",
    "siren",
    "siret",
    "vat_number",
)


# --- rows -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One row of a file (or the body of one PUT): its line, and the customer once validated."""

    line: int
    external_id: str | None
    customer: Any = None  # schemas.ImportedCustomer
    problems: dict[str, Phrase] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        data = self.customer.model_dump(mode="json", exclude={"external_id"}, exclude_none=True)
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Outcome:
    line: int
    external_id: str | None
    status: str  # created | updated | unchanged | rejected
    customer_id: str | None = None
    fields: dict[str, Phrase] = field(default_factory=dict)

    def as_stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"line": self.line, "external_id": self.external_id, "status": self.status}
        if self.customer_id:
            stored["customer_id"] = self.customer_id
        if self.fields:
            stored["fields"] = import_files.stored_fields(self.fields)
        return stored


def _address_cells(given: dict[str, Any]) -> dict[str, Any]:
    """A CSV row's address_* cells as the address object of the JSON rows."""
    address = {
        name.removeprefix("address_"): given.pop(name) for name in list(given) if name.startswith("address_")
    }
    if address:
        given["address"] = address
    return given


_READER: import_files.Reader[Row] = import_files.Reader(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    row=lambda line, given, csv_columns: validated(line, given, csv_columns=csv_columns),
    unreadable=lambda line, problems: Row(line=line, external_id=None, problems=problems),
    counted=lambda line: Row(line=line, external_id=None),
    cells=_address_cells,
)


def read_rows(content: bytes, kind: str, *, validate: bool = True) -> list[Row]:
    """The rows of a file, each validated (unless `validate` is False: only counted, as when the
    file is submitted); a file that cannot be read at all is one 422."""
    return _READER.read(content, kind, validate=validate)


def validated(line: int, given: dict[str, Any], *, csv_columns: bool) -> Row:
    """The row as a customer of schemas.ImportedCustomer, or its problems (by column for a CSV file)."""
    from guichet_contracts.validation import problems
    from pydantic import ValidationError

    from . import schemas

    external_id = given.get("external_id")
    external_id = external_id.strip() if isinstance(external_id, str) else None
    try:
        customer = schemas.ImportedCustomer.model_validate(given)
    except ValidationError as error:
        found = problems(error, schemas.PROTECTED_FIELDS - {"email"})
        if csv_columns:
            found = {name.replace("address.", "address_", 1): phrase for name, phrase in found.items()}
        return Row(line=line, external_id=external_id, problems=found)
    return Row(line=line, external_id=customer.external_id, customer=customer)


# --- applying rows --------------------------------------------------------------------------


@dataclass
class _Plan:
    row: Row
    kind: str  # create | update
    existing: ExternalId | None = None
    account: Account | None = None  # an update: the account as read
    customer_id: str = ""
    new_phone: str | None = None  # an update moving the phone
    changed: list[str] = field(default_factory=list)

    @property
    def phone_written(self) -> str | None:
        """The phone number this row gives its customer (a LoginName to write), if any."""
        return self.row.customer.phone if self.kind == "create" else self.new_phone


def apply(rows: list[Row], *, now: datetime) -> list[Outcome]:
    """Apply validated rows (see the module); one outcome per row, in the rows' order."""
    outcomes: dict[int, Outcome] = {}
    valid: list[Row] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.problems:
            outcomes[row.line] = Outcome(row.line, row.external_id, "rejected", fields=row.problems)
        elif row.external_id in first_line:
            outcomes[row.line] = _rejected(
                row, "external_id", "field.duplicate_line", line=first_line[row.external_id]
            )
        else:
            first_line[row.customer.external_id] = row.line
            valid.append(row)

    known = {
        item.pk.removeprefix("EXTERNAL#"): item
        for item in import_files.batch_get(ExternalId, [external_key(r.customer.external_id) for r in valid])
    }
    creates: list[_Plan] = []
    updates: list[_Plan] = []
    for row in valid:
        existing = known.get(row.customer.external_id)
        if existing is None:
            creates.append(_Plan(row, "create"))
        elif existing.fingerprint == row.fingerprint:
            outcomes[row.line] = Outcome(
                row.line, row.external_id, "unchanged", customer_id=existing.customer_id
            )
        else:
            updates.append(_Plan(row, "update", existing=existing, customer_id=existing.customer_id))

    _read_accounts(updates, outcomes)
    updates = [plan for plan in updates if plan.row.line not in outcomes]
    _check_login_names(creates, updates, outcomes)
    plans = [plan for plan in creates + updates if plan.row.line not in outcomes]
    drawn: set[str] = set()
    for plan in plans:
        if plan.kind == "create":
            plan.customer_id = _draw_customer_id(plan.row.customer, drawn)
    for chunk in _chunks(plans):
        _write_chunk(chunk, now=now, outcomes=outcomes)
    _publish(plans, outcomes, now=now)
    return [outcomes[row.line] for row in rows]


def _rejected(row: Row, name: str, message_id: str, **values: Any) -> Outcome:
    return Outcome(row.line, row.external_id, "rejected", fields={name: Phrase(message_id, **values)})


def _read_accounts(updates: list[_Plan], outcomes: dict[int, Outcome]) -> None:
    """The accounts the updates change, and what each update changes."""
    found = {
        a.customer_id: a
        for a in import_files.batch_get(Account, [account_key(p.customer_id) for p in updates])
    }
    for plan in updates:
        account = found.get(plan.customer_id)
        if account is None:  # the account is gone (closed): the provider's id names nobody now
            outcomes[plan.row.line] = _rejected(plan.row, "external_id", "field.account_gone")
            continue
        plan.account = account
        wanted = plan.row.customer
        current = customer_events.billing_profile(account)
        for name in _UPDATABLE:
            value = getattr(wanted, name)
            if value in (None, "") or name not in wanted.model_fields_set:
                continue  # left out (the language too, whatever its default): kept as it is
            value = value.model_dump() if name == "address" else value
            if name == "address":
                value = {**value, "line2": value.get("line2") or None}
            if current.get(name) != value:
                plan.changed.append(name)
        if "phone" in plan.changed:
            plan.new_phone = wanted.phone


def _check_login_names(creates: list[_Plan], updates: list[_Plan], outcomes: dict[int, Outcome]) -> None:
    """Emails of new customers and phones given to someone must be nobody else's, in the file or
    in the table (operators may see which: the report is theirs, never a customer's)."""
    email_line: dict[str, int] = {}
    phone_line: dict[str, int] = {}
    for plan in sorted(creates + updates, key=lambda p: p.row.line):
        row = plan.row
        if plan.kind == "create":
            email = row.customer.email
            if email in email_line:
                outcomes[row.line] = _rejected(row, "email", "field.duplicate_line", line=email_line[email])
                continue
            email_line[email] = row.line
        phone = plan.phone_written
        if phone:
            if phone in phone_line:
                outcomes[row.line] = _rejected(row, "phone", "field.duplicate_line", line=phone_line[phone])
                continue
            phone_line[phone] = row.line
    pending = [p for p in creates + updates if p.row.line not in outcomes]
    keys = [login_key("email", p.row.customer.email) for p in pending if p.kind == "create"]
    keys += [login_key("phone", p.phone_written) for p in pending if p.phone_written]
    taken = {item.pk: item.customer_id for item in import_files.batch_get(LoginName, keys)}
    for plan in pending:
        row = plan.row
        if plan.kind == "create" and login_key("email", row.customer.email)[0] in taken:
            outcomes[row.line] = _rejected(row, "email", "field.taken")
            continue
        phone = plan.phone_written
        holder = taken.get(login_key("phone", phone)[0]) if phone else None
        if holder is not None and holder != plan.customer_id:
            outcomes[row.line] = _rejected(row, "phone", "field.taken")


def _draw_customer_id(customer: Any, drawn: set[str]) -> str:
    while True:
        customer_id = accounts.new_customer_id(customer.first_name, customer.last_name)
        if customer_id not in drawn:
            drawn.add(customer_id)
            return customer_id


def _size(plan: _Plan) -> int:
    """The items of a plan's transaction."""
    if plan.kind == "create":
        return 4 if plan.row.customer.phone else 3
    if not plan.changed:
        return 1
    moving = plan.new_phone is not None
    return 2 + (2 if moving and plan.account.phone else 1 if moving else 0)  # type: ignore[union-attr]


def _chunks(plans: list[_Plan]) -> Iterator[list[_Plan]]:
    chunk: list[_Plan] = []
    items = 0
    for plan in plans:
        if items + _size(plan) > TRANSACTION_ITEMS:
            yield chunk
            chunk, items = [], 0
        chunk.append(plan)
        items += _size(plan)
    if chunk:
        yield chunk


def _write_chunk(chunk: list[_Plan], *, now: datetime, outcomes: dict[int, Outcome]) -> None:
    try:
        with transaction() as write:
            for plan in chunk:
                _add(write, plan, now=now)
    except TransactWriteError as error:
        if error.cause_response_code not in ("TransactionCanceledException", "ValidationException"):
            raise  # AWS failing for a moment: the job's next run applies the file again
        for plan in chunk:  # one row at fault: find it, write the others
            _write_alone(plan, now=now, outcomes=outcomes)
        return
    for plan in chunk:
        outcomes[plan.row.line] = _done(plan)


def _done(plan: _Plan) -> Outcome:
    # an update changing nothing the account shows (only left-out fields, or the email, which an
    # import never changes) only records the row's fingerprint
    status = "created" if plan.kind == "create" else "updated" if plan.changed else "unchanged"
    return Outcome(plan.row.line, plan.row.external_id, status, customer_id=plan.customer_id)


def _write_alone(plan: _Plan, *, now: datetime, outcomes: dict[int, Outcome]) -> None:
    row = plan.row
    for _attempt in range(8):
        try:
            with transaction() as write:
                _add(write, plan, now=now)
        except TransactWriteError as error:
            if error.cause_response_code not in ("TransactionCanceledException", "ValidationException"):
                raise
            failed = accounts.failed_conditions(error)
            if plan.kind == "create":
                # puts in the order _add wrote them: account, email, [phone], external id
                if 1 in failed:
                    outcomes[row.line] = _rejected(row, "email", "field.taken")
                elif 2 in failed and row.customer.phone:
                    outcomes[row.line] = _rejected(row, "phone", "field.taken")
                elif 0 in failed:
                    plan.customer_id = _draw_customer_id(row.customer, set())
                    continue  # the customer id is someone's: draw other digits
                else:
                    outcomes[row.line] = _rejected(row, "external_id", "field.changed_meanwhile")
                return
            # an update: [delete of the old phone], [put of the new one], external id, account
            new_phone_put = 1 if plan.new_phone and plan.account.phone else 0  # type: ignore[union-attr]
            if plan.new_phone and new_phone_put in failed:
                outcomes[row.line] = _rejected(row, "phone", "field.taken")
            else:
                outcomes[row.line] = _rejected(row, "external_id", "field.changed_meanwhile")
            return
        outcomes[row.line] = _done(plan)
        return
    raise RuntimeError("could not draw a free customer id")


def _add(write: Any, plan: _Plan, *, now: datetime) -> None:
    """The items of one row in a transaction (see _write_alone for their order)."""
    customer = plan.row.customer
    fingerprint = ExternalId(
        *external_key(customer.external_id),
        customer_id=plan.customer_id,
        fingerprint=plan.row.fingerprint,
        updated_at=now,
    )
    if plan.kind == "create":
        write.save(new_account(plan.customer_id, customer, now=now), condition=Account.pk.does_not_exist())
        write.save(
            LoginName(*login_key("email", customer.email), customer_id=plan.customer_id),
            condition=LoginName.pk.does_not_exist(),
        )
        if customer.phone:
            write.save(
                LoginName(*login_key("phone", customer.phone), customer_id=plan.customer_id),
                condition=LoginName.pk.does_not_exist(),
            )
        write.save(fingerprint, condition=ExternalId.pk.does_not_exist())
        return
    account = plan.account
    assert account is not None
    if not plan.changed:  # nothing the account shows: the row's fingerprint alone
        write.save(fingerprint, condition=ExternalId.customer_id == plan.customer_id)
        return
    old_phone = account.phone
    if plan.new_phone:
        if old_phone:
            write.delete(
                LoginName(*login_key("phone", old_phone)), condition=LoginName.customer_id == plan.customer_id
            )
        write.save(
            LoginName(*login_key("phone", plan.new_phone), customer_id=plan.customer_id),
            condition=LoginName.pk.does_not_exist(),
        )
    write.save(fingerprint, condition=ExternalId.customer_id == plan.customer_id)
    actions = [Account.updated_at.set(now)]
    for name in plan.changed:
        value = getattr(customer, name)
        attribute = getattr(Account, name)
        actions.append(attribute.set(Address(**value.model_dump()) if name == "address" else value))
    phone_unchanged = Account.phone == old_phone if old_phone else Account.phone.does_not_exist()
    write.update(account, actions=actions, condition=Account.pk.exists() & phone_unchanged)


def new_account(customer_id: str, customer: Any, *, now: datetime) -> Account:
    """An imported customer's account: no password until the invitation is accepted."""
    return Account(
        *account_key(customer_id),
        customer_id=customer_id,
        status="invited",
        email=customer.email,
        password_hash="",
        first_name=customer.first_name,
        last_name=customer.last_name,
        phone=customer.phone,
        language=customer.language,
        company=customer.company or None,
        siren=customer.siren,
        siret=customer.siret,
        vat_number=customer.vat_number,
        address=Address(**customer.address.model_dump()) if customer.address else None,
        created_at=now,
        updated_at=now,
        external_id=customer.external_id,
    )


def _publish(plans: list[_Plan], outcomes: dict[int, Outcome], *, now: datetime) -> None:
    """CustomerRegistered for each customer created, CustomerUpdated for each one updated."""
    registered: list[Account] = []
    updated: list[tuple[Account, list[str]]] = []
    for plan in plans:
        status = outcomes[plan.row.line].status
        if status == "created":
            registered.append(new_account(plan.customer_id, plan.row.customer, now=now))
        elif status == "updated" and plan.changed:
            account = plan.account
            assert account is not None
            for name in plan.changed:
                value = getattr(plan.row.customer, name)
                setattr(account, name, Address(**value.model_dump()) if name == "address" else value)
            updated.append((account, plan.changed))
    customer_events.registered_many(registered)
    customer_events.updated_many(updated)


# --- one customer over the API --------------------------------------------------------------


def put_one(external_id: str, body: Any, *, now: datetime) -> tuple[Outcome, Account]:
    """PUT /auth/operator/customers/{external_id}: create, update or leave one customer; a new
    one is invited at once. A rejected body is a 409 (taken) or 422 like any request's."""
    from . import invitations, schemas
    from .errors import Conflict

    data = body.model_dump(exclude_unset=True) | {"external_id": external_id}
    row = validated(1, data, csv_columns=False)
    if row.problems:
        raise ValidationFailed(fields=row.problems)
    assert isinstance(row.customer, schemas.ImportedCustomer)
    outcome = apply([row], now=now)[0]
    if outcome.status == "rejected":
        taken = any(p.message_id == "field.taken" for p in outcome.fields.values())
        raise (Conflict if taken else ValidationFailed)(fields=outcome.fields)
    account = accounts.get(outcome.customer_id)  # type: ignore[arg-type]
    invitations.invite_pending([account], now=now)
    account.refresh()
    return outcome, account


def get_by_external_id(external_id: str) -> Account:
    try:
        item = ExternalId.get(*external_key(external_id))
    except DoesNotExist:
        raise NotFound() from None
    return accounts.get(item.customer_id)


def as_customer(account: Account) -> dict[str, Any]:
    """The operator's view of an imported customer (the profile with its external id and status)."""
    return {**accounts.profile(account), "external_id": account.external_id, "status": account.status}


# --- files ----------------------------------------------------------------------------------

JOB = import_files.FileJob(
    what="customers",
    record=CustomerImport,
    parts=ImportPart,
    queue=import_files.QueueIndex(Account.due, QUEUED),
    not_found=NotFound,
    follow_up="inviting",
)


def submit(content: bytes, kind: str, *, operator: str, now: datetime) -> CustomerImport:
    """Keep a file for the job (after checking it can be read: a bad file is a 422 now, not a
    report later) and queue it."""
    rows = read_rows(content, kind, validate=False)  # the rows are validated by the job
    return JOB.submit(content, kind, rows=len(rows), operator=operator, now=now)  # type: ignore[no-any-return]


def summary(item: CustomerImport) -> dict[str, Any]:
    return {**import_files.summary(item), "invitations_sent": int(item.invitations_sent)}


def run_queued(*, now: datetime, stop: Callable[[], bool]) -> int:
    """Apply the queued files, write their reports, mail their invitations (import_files.FileJob),
    oldest first; stopped by `stop` while inviting, a file stays queued for the job's next run."""
    return JOB.run_queued(
        now=now,
        stop=stop,
        apply=lambda item, content: apply(read_rows(content, item.format), now=now),
        follow=lambda item, deadline: _invite(item, now=now, deadline=deadline),
    )


def _invite(item: CustomerImport, *, now: datetime, deadline: Callable[[], bool]) -> bool:
    """The invitations of the customers a file created, in batches, until `deadline`."""
    from . import invitations

    ids = [line["customer_id"] for line in JOB.report_lines(item) if line.get("customer_id")]
    for start in range(0, len(ids), invitations.BATCH):
        if deadline():
            return False
        batch = import_files.batch_get(
            Account, [account_key(cid) for cid in ids[start : start + invitations.BATCH]]
        )
        sent = invitations.invite_pending(batch, now=now)
        if sent:
            item.update(actions=[CustomerImport.invitations_sent.add(sent)])
    logger.info(
        "customers invited", extra={"import_id": item.import_id, "invited": int(item.invitations_sent)}
    )
    return True
