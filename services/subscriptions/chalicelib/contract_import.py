"""Contracts brought in by the provider's systems, keyed by the provider's own id (external_id).

One contract (PUT /subscriptions/operator/customers/{customer_id}/subscriptions/{external_id}) or
a file of thousands (CSV or JSON Lines, POST /subscriptions/operator/subscriptions/imports) go
through `apply`. A row names its customer by the Guichet id (`customer_id`) or by the provider's
id given when the customer was imported into the auth service (`customer_external_id`, kept here
from CustomerRegistered/Updated); a customer this service does not know is reported, never
guessed. Each row is validated as an order's line is (the product from the catalog, the energy
fields as an order's options, a point of delivery under one running contract at a time) and is
then, by its external_id,

- created: a subscription with its contract, `origin` import: its number, status (active,
  suspended, or ended: cancelled or expired with `ended_on`), start and current period
  (`renews_on`), auto-renewal by the offer's terms, commitment end; a running contract is
  announced as any (SubscriptionActivated, with `origin: import` and `billed_from`, the first day
  the provider did not bill: consumption makes its meters and bills them from then, invoices a
  monthly payer's schedule), a suspended one then suspended (SubscriptionSuspended, `reason:
  operator`); an ended one is history only, announced to nobody;
- updated: label, auto-renewal, commitment end and the period (a later `renews_on`: the provider
  renewed it, SubscriptionRenewed) set from the row; a status change goes through the service's
  own transitions, so the same events go out (suspended and resumed as by an operator, cancelled
  or expired on `ended_on`); what an import cannot change (the product, the start, the energy
  fields, the customer) is reported: a plan change is the customer's PATCH;
- refused when its external_id names another customer's contract (the provider's ids of its
  contracts are unique across its customers; a contract never changes hands: a move is a new
  contract);
- unchanged: the row is the one applied last time (ContractExternalId.fingerprint): nothing is
  written or published, so importing a file again changes nothing;
- rejected: each wrong field named in the API's words, with the line number.

Guichet bills an imported contract only from where the provider's billing stops: nothing is
ordered, so no upfront invoice is issued for the imported period; a period paid in advance
(hosting, domains, telecom) is the provider's until `renews_on`, when Guichet's renewal order
bills the next; energy is billed in arrears from `billed_from` (the day after `billed_until`,
the last day the provider billed). An immediate cancellation or a plan change credits no day of
a period the provider billed (subscriptions.billed_by_provider).

Writes: new rows go in TransactWriteItems of up to 100 items (the subscription, its external id
and its point of delivery, each conditional: 33 to 50 rows a request); a transaction refused as a
whole is replayed row by row, and only the row at fault is rejected. Dossier and contract numbers
are reserved once per file, lookups go by BatchGetItem (100 keys a request) and events ten to a
PutEvents request. A file is kept in the table when submitted and applied by the
`apply_contract_imports` job (a request through API Gateway must answer within 29 s); its report,
a line per row, is kept 30 days.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from guichet_contracts import import_files
from guichet_contracts.words import Phrase
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import catalog, customers, subscriptions
from .errors import ApiError, NotFound, ValidationFailed
from .models import (
    ContractExternalId,
    ContractImport,
    Counter,
    Customer,
    CustomerExternalId,
    ImportPart,
    ImportQueued,
    PdlHolder,
    Subscription,
    customer_pk,
    transaction,
)
from .schemas import ContractTerms, ImportedContract

logger = Logger(child=True)

RUNNING = ("active", "suspended")
ENDED = ("cancelled", "expired")
RESULTS = import_files.RESULTS

# the columns of a CSV file; the energy fields (and a domain name) are an order's options
OPTION_COLUMNS = (
    "pdl",
    "subscribed_power_kva",
    "tariff_option",
    "off_peak_hours",
    "payment_mode",
    "domain_name",
)
COLUMNS = (
    "external_id",
    "customer_id",
    "customer_external_id",
    "product_id",
    "label",
    "status",
    "started_on",
    "renews_on",
    "ended_on",
    "billed_until",
    "auto_renew",
    "commitment_ends_on",
    *OPTION_COLUMNS,
)
REQUIRED_COLUMNS = ("external_id", "product_id", "status", "started_on")


# --- rows -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One row of a file (or the body of one PUT): its line, and the contract once validated."""

    line: int
    external_id: str | None
    contract: ImportedContract | None = None
    problems: dict[str, Phrase] = field(default_factory=dict)
    product: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # normalised as an order's
    csv_columns: bool = False

    def fingerprint(self, customer_id: str) -> str:
        assert self.contract is not None
        data = self.contract.model_dump(
            mode="json", exclude={"external_id", "customer_id", "customer_external_id"}, exclude_none=True
        )
        data |= {"customer_id": customer_id, "options": self.options}
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def named(self, name: str) -> str:
        """A field's name in the report: a CSV file's column for an option."""
        if self.csv_columns and name.startswith("options.") and name.split(".")[1] in OPTION_COLUMNS:
            return name.split(".", 1)[1]
        return name


@dataclass
class Outcome:
    line: int
    external_id: str | None
    status: str  # created | updated | unchanged | rejected
    customer_id: str | None = None
    subscription_id: str | None = None
    fields: dict[str, Phrase] = field(default_factory=dict)

    def as_stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"line": self.line, "external_id": self.external_id, "status": self.status}
        if self.customer_id:
            stored["customer_id"] = self.customer_id
        if self.subscription_id:
            stored["subscription_id"] = self.subscription_id
        if self.fields:
            stored["fields"] = import_files.stored_fields(self.fields)
        return stored


def _csv_cells(given: dict[str, Any]) -> dict[str, Any]:
    """A CSV row's option columns as the options object of the JSON rows (off-peak hours written
    `22:00-06:00 12:00-14:00`, a power as its number)."""
    options: dict[str, Any] = {}
    for name in OPTION_COLUMNS:
        if name in given:
            options[name] = given.pop(name).strip()
    if "off_peak_hours" in options:
        periods = options["off_peak_hours"].replace(";", " ").replace(",", " ").split()
        options["off_peak_hours"] = [
            dict(zip(("start", "end"), period.split("-", 1), strict=False)) for period in periods
        ]
    power = options.get("subscribed_power_kva")
    if isinstance(power, str) and power.isdigit():
        options["subscribed_power_kva"] = int(power)
    if options:
        given["options"] = options
    return given


def validated(line: int, given: dict[str, Any], *, csv_columns: bool, today: date) -> Row:
    """The row as an ImportedContract checked against the catalog and the rules of an order, or its
    problems (named by column for a CSV file)."""
    from guichet_contracts.validation import problems as pydantic_problems
    from pydantic import ValidationError

    external_id = given.get("external_id")
    external_id = external_id.strip() if isinstance(external_id, str) else None
    try:
        contract = ImportedContract.model_validate(given)
    except ValidationError as error:
        row = Row(line=line, external_id=external_id, csv_columns=csv_columns)
        row.problems = {row.named(n): p for n, p in pydantic_problems(error, frozenset()).items()}
        return row
    row = Row(line=line, external_id=contract.external_id, contract=contract, csv_columns=csv_columns)
    found = _terms_problems(row, today)
    row.problems = {row.named(name): phrase for name, phrase in found.items()}
    return row


def _terms_problems(row: Row, today: date) -> dict[str, Phrase]:
    from .errors import UnknownProduct
    from .technical_settings import validate_order_options

    contract = row.contract
    assert contract is not None
    found: dict[str, Phrase] = {}
    if (contract.customer_id is None) == (contract.customer_external_id is None):
        found["customer_id"] = Phrase("field.one_customer")
    try:
        row.product = catalog.product(contract.product_id)
    except UnknownProduct as error:
        return found | error.fields  # type: ignore[return-value]
    family = row.product["family"]
    if "move_in_on" in contract.options:
        found["options.move_in_on"] = Phrase("field.extra_forbidden")
    try:
        row.options = validate_order_options(family, contract.options)
        catalog.price_cents(row.product, row.options)
    except ApiError as error:
        for name, phrase in error.fields.items():
            found[name if name.startswith("options") else f"options.{name}"] = phrase  # type: ignore[assignment]
    started = contract.started_on
    if contract.status in RUNNING:
        if contract.ended_on is not None:
            found["ended_on"] = Phrase("field.only_when_ended")
        if contract.renews_on is None:
            found["renews_on"] = Phrase("field.missing")
        elif contract.renews_on <= started:
            found["renews_on"] = Phrase("field.after_day", day=started.isoformat())
        if family == "electricity":
            if contract.billed_until is None:
                found["billed_until"] = Phrase("field.missing")
            elif contract.billed_until < started - timedelta(days=1):
                found["billed_until"] = Phrase(
                    "field.not_before_day", day=(started - timedelta(days=1)).isoformat()
                )
        elif contract.billed_until is not None and contract.renews_on is not None:
            period_end = contract.renews_on - timedelta(days=1)
            if contract.billed_until != period_end:
                found["billed_until"] = Phrase("field.billed_whole_period", day=period_end.isoformat())
    else:
        if contract.ended_on is None:
            found["ended_on"] = Phrase("field.missing")
        elif contract.ended_on < started:
            found["ended_on"] = Phrase("field.not_before_day", day=started.isoformat())
        elif contract.ended_on > today:  # a contract ending later runs until then
            found["ended_on"] = Phrase("field.not_after_day", day=today.isoformat())
    if contract.commitment_ends_on is not None and contract.commitment_ends_on < started:
        found["commitment_ends_on"] = Phrase("field.not_before_day", day=started.isoformat())
    if family == "electricity" and contract.auto_renew is False:
        found["auto_renew"] = Phrase("field.energy_runs_until_cancelled")
    return found


def _reader(today: date) -> import_files.Reader[Row]:
    return import_files.Reader(
        columns=COLUMNS,
        required=REQUIRED_COLUMNS,
        row=lambda line, given, csv_columns: validated(line, given, csv_columns=csv_columns, today=today),
        unreadable=lambda line, problems: Row(line=line, external_id=None, problems=problems),
        counted=lambda line: Row(line=line, external_id=None),
        cells=_csv_cells,
    )


def read_rows(content: bytes, kind: str, *, today: date, validate: bool = True) -> list[Row]:
    return _reader(today).read(content, kind, validate=validate)


# --- applying rows --------------------------------------------------------------------------


@dataclass
class _Plan:
    row: Row
    customer_id: str
    key: tuple[str, str]  # ContractExternalId's
    existing: ContractExternalId | None = None
    subscription: Subscription | None = None


def contract_key(external_id: str) -> tuple[str, str]:
    """The provider's ids of its contracts are its own, unique across its customers."""
    return f"EXTCONTRACT#{external_id}", "CONTRACT"


def apply(rows: list[Row], *, now: datetime, today: date) -> list[Outcome]:
    """Apply validated rows (see the module); one outcome per row, in the rows' order."""
    outcomes: dict[int, Outcome] = {}
    valid = [row for row in rows if not _rejected_as_read(row, outcomes)]
    plans = _customers(valid, outcomes)
    first_line: dict[tuple[str, str], int] = {}  # by the contract's key
    unique: list[_Plan] = []
    for plan in plans:
        if plan.key in first_line:
            outcomes[plan.row.line] = _rejected(
                plan, "external_id", "field.duplicate_line", line=first_line[plan.key]
            )
        else:
            first_line[plan.key] = plan.row.line
            unique.append(plan)
    known = {
        (item.pk, item.sk): item
        for item in import_files.batch_get(ContractExternalId, [p.key for p in unique])
    }
    creates: list[_Plan] = []
    updates: list[_Plan] = []
    for plan in unique:
        plan.existing = known.get(plan.key)
        if plan.existing is None:
            creates.append(plan)
        elif plan.existing.customer_id != plan.customer_id:  # a contract never changes hands
            outcomes[plan.row.line] = _rejected(plan, "external_id", "field.another_customers_contract")
        elif plan.existing.fingerprint == plan.row.fingerprint(plan.customer_id):
            outcomes[plan.row.line] = _outcome(plan, "unchanged", plan.existing.subscription_id)
        else:
            updates.append(plan)
    events: list[Any] = []
    _create(creates, outcomes, events, now=now, today=today)
    _update(updates, outcomes, now=now, today=today)
    if events:
        from guichet_contracts import events as bus

        from .settings import settings

        bus.publish_many(events, bus_name=settings.event_bus_name)
    return [outcomes[row.line] for row in rows]


def _rejected_as_read(row: Row, outcomes: dict[int, Outcome]) -> bool:
    if row.problems or row.contract is None:
        outcomes[row.line] = Outcome(row.line, row.external_id, "rejected", fields=row.problems)
        return True
    return False


def _outcome(plan: _Plan, status: str, subscription_id: str | None) -> Outcome:
    return Outcome(plan.row.line, plan.row.external_id, status, plan.customer_id, subscription_id)


def _rejected(plan: _Plan, name: str, message_id: str, **values: Any) -> Outcome:
    return Outcome(
        plan.row.line,
        plan.row.external_id,
        "rejected",
        plan.customer_id,
        fields={plan.row.named(name): Phrase(message_id, **values)},
    )


def _customers(rows: list[Row], outcomes: dict[int, Outcome]) -> list[_Plan]:
    """Each row's customer: by the Guichet id, or by the provider's id of the customer; a customer
    this service has no copy of is reported (its auth events may not have arrived yet)."""
    contracts = {row.line: row.contract for row in rows if row.contract is not None}
    by_external = {
        item.pk.removeprefix("EXTCUSTOMER#"): item.customer_id
        for item in import_files.batch_get(
            CustomerExternalId,
            [
                customers.external_customer_key(contract.customer_external_id)
                for contract in contracts.values()
                if contract.customer_external_id
            ],
        )
    }
    wanted = {
        line: contract.customer_id or by_external.get(contract.customer_external_id or "")
        for line, contract in contracts.items()
    }
    known = {
        item.customer_id
        for item in import_files.batch_get(
            Customer, [(customer_pk(cid), "PROFILE") for cid in set(wanted.values()) if cid]
        )
    }
    plans = []
    for row in rows:
        contract = row.contract
        assert contract is not None
        customer_id = wanted[row.line]
        if not customer_id or customer_id not in known:
            name = "customer_id" if contract.customer_id else "customer_external_id"
            outcomes[row.line] = Outcome(
                row.line, row.external_id, "rejected", fields={name: Phrase("field.unknown_customer")}
            )
            continue
        plans.append(_Plan(row, customer_id, contract_key(contract.external_id)))
    return plans


# creating


def _create(
    plans: list[_Plan], outcomes: dict[int, Outcome], events: list[Any], *, now: datetime, today: date
) -> None:
    point_line: dict[str, int] = {}
    ready: list[tuple[_Plan, str | None]] = []
    holders = _point_holders([plan.row.options["pdl"] for plan in plans if _takes_point(plan)])
    for plan in plans:
        previous = None
        contract = plan.row.contract
        assert contract is not None
        if contract.renews_on is not None and contract.status in RUNNING and contract.renews_on <= today:
            # its period over, it would never be renewed: the daily job has passed that day
            outcomes[plan.row.line] = _rejected(plan, "renews_on", "field.after_day", day=today.isoformat())
            continue
        if _takes_point(plan):
            pdl = plan.row.options["pdl"]
            if pdl in point_line:
                outcomes[plan.row.line] = _rejected(
                    plan, "options.pdl", "field.duplicate_line", line=point_line[pdl]
                )
                continue
            point_line[pdl] = plan.row.line
            previous, running = holders.get(pdl, (None, False))
            if running:
                outcomes[plan.row.line] = _rejected(plan, "options.pdl", "field.point_supplied")
                continue
        ready.append((plan, previous))
    if not ready:
        return
    dossiers = _reserve("dossier", len(ready))
    numbers = _reserve("contract", len(ready))
    made = [
        _New(plan, _new_subscription(plan, dossier=dossier, number=number, now=now, today=today), previous)
        for (plan, previous), dossier, number in zip(ready, dossiers, numbers, strict=True)
    ]
    for chunk in _chunks(made):
        try:
            with transaction() as write:
                for new in chunk:
                    new.add(write, now=now)
            written = chunk
        except TransactWriteError as error:
            if error.cause_response_code not in ("TransactionCanceledException", "ValidationException"):
                raise
            written = [new for new in chunk if _write_alone(new, outcomes, now=now)]
        for new in written:
            subscription = new.subscription
            outcomes[new.plan.row.line] = _outcome(new.plan, "created", subscription.subscription_id)
            if subscription.status in RUNNING:
                events.append(subscriptions.activated_event(subscription, None))
            if subscription.status == "suspended":
                events.append(
                    subscriptions.suspended_event(subscription, reason="operator", invoice_ids=[], on=today)
                )


TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


@dataclass
class _New:
    """A new contract to write: its subscription, and the contract that last took its point."""

    plan: _Plan
    subscription: Subscription
    previous: str | None

    @property
    def items(self) -> int:
        return 3 if self.takes_point else 2

    @property
    def takes_point(self) -> bool:
        return self.subscription.status in RUNNING and bool(self.subscription.contract.pdl)

    def add(self, write: Any, *, now: datetime) -> None:
        """Its items, each conditional: the subscription, its external id, its point of delivery."""
        from . import delivery_points

        plan, subscription = self.plan, self.subscription
        write.save(subscription, condition=Subscription.pk.does_not_exist())
        write.save(
            ContractExternalId(
                *plan.key,
                customer_id=plan.customer_id,
                subscription_id=subscription.subscription_id,
                fingerprint=plan.row.fingerprint(plan.customer_id),
                updated_at=now,
            ),
            condition=ContractExternalId.pk.does_not_exist(),
        )
        if self.takes_point:
            free = PdlHolder.pk.does_not_exist()
            if self.previous is not None:
                free = free | (PdlHolder.subscription_id == self.previous)
            write.save(delivery_points.holder_record(subscription), condition=free)


def _chunks(made: list[_New]) -> list[list[_New]]:
    """New contracts in transactions of at most TRANSACTION_ITEMS items (about 33 to 50 rows)."""
    chunks: list[list[_New]] = [[]]
    size = 0
    for new in made:
        if size + new.items > TRANSACTION_ITEMS:
            chunks.append([])
            size = 0
        chunks[-1].append(new)
        size += new.items
    return [chunk for chunk in chunks if chunk]


def _write_alone(new: _New, outcomes: dict[int, Outcome], *, now: datetime) -> bool:
    """One contract of a transaction refused as a whole (a condition failed: an order took a point
    meanwhile, another import wrote the same contract): written by itself, or its row rejected."""
    try:
        with transaction() as write:
            new.add(write, now=now)
    except TransactWriteError as error:
        if error.cause_response_code not in ("TransactionCanceledException", "ValidationException"):
            raise
        reasons = getattr(error, "cancellation_reasons", None) or []
        failed = {i for i, reason in enumerate(reasons) if reason and reason.code == "ConditionalCheckFailed"}
        if 2 in failed:  # the point of delivery (the third item): a contract took it meanwhile
            outcomes[new.plan.row.line] = _rejected(new.plan, "options.pdl", "field.point_supplied")
        else:
            outcomes[new.plan.row.line] = _rejected(new.plan, "external_id", "field.changed_meanwhile")
        return False
    return True


def _takes_point(plan: _Plan) -> bool:
    """A running electricity contract supplies its point of delivery (an ended one holds nothing)."""
    contract = plan.row.contract
    assert contract is not None
    return plan.row.product["family"] == "electricity" and contract.status in RUNNING


def _point_holders(pdls: list[str]) -> dict[str, tuple[str, bool]]:
    """For each point a contract last took: that subscription's id, and whether it still runs
    (delivery_points.holder, for a file: two BatchGetItem per 100 points)."""
    from .delivery_points import RUNNING as HOLDS

    records = import_files.batch_get(PdlHolder, [(f"PDL#{pdl}", "HOLDER") for pdl in pdls])
    held = {
        s.subscription_id: s
        for s in import_files.batch_get(
            Subscription, [(customer_pk(r.customer_id), f"SUB#{r.subscription_id}") for r in records]
        )
    }
    found = {}
    for record in records:
        subscription = held.get(record.subscription_id)
        found[record.pk.removeprefix("PDL#")] = (
            str(record.subscription_id),
            subscription is not None and subscription.status in HOLDS,
        )
    return found


def _reserve(counter: str, count: int) -> list[int]:
    """`count` numbers of a counter, in one write (a file's dossier or contract numbers)."""
    item = Counter(f"COUNTER#{counter}", "COUNTER")
    item.update(actions=[Counter.value.add(count)])
    last = int(item.value)
    return list(range(last - count + 1, last + 1))


def _new_subscription(plan: _Plan, *, dossier: int, number: int, now: datetime, today: date) -> Subscription:
    contract = plan.row.contract
    assert contract is not None
    product = plan.row.product
    subscription = subscriptions.new_subscription(
        customer_id=plan.customer_id,
        product=product,
        label=contract.label or product["name"],
        options=plan.row.options,
        periods=1,
        today=today,
        now=now,
        status=contract.status,
        numbers=(dossier, number),
    )
    subscription.started_on = contract.started_on.isoformat()
    if contract.status in RUNNING:
        assert contract.renews_on is not None
        subscription.renews_on = contract.renews_on.isoformat()
        subscription.billed_from = _billed_from(plan.row).isoformat()
    else:
        assert contract.ended_on is not None
        subscription.renews_on = (contract.ended_on + timedelta(days=1)).isoformat()
        subscription.ended_on = contract.ended_on.isoformat()
        subscription.cancel_reason = "import" if contract.status == "cancelled" else None
    if contract.auto_renew is not None:
        subscription.auto_renew = contract.auto_renew
    if contract.status == "suspended":
        subscription.suspension_reason = "operator"
        subscription.suspended_for = []
    subscription.external_id = contract.external_id
    subscription.imported_on = today.isoformat()
    subscription.commitment_ends_on = (
        contract.commitment_ends_on.isoformat() if contract.commitment_ends_on else None
    )
    subscription.renews_pk, subscription.renews_sk = subscriptions.renewal_keys(
        subscription.subscription_id, plan.customer_id, subscription.renews_on, subscription.status
    )
    return subscription


def _billed_from(row: Row) -> date:
    """The first day Guichet bills a running contract: the day after the provider's last."""
    contract = row.contract
    assert contract is not None and contract.renews_on is not None
    if contract.billed_until is not None:
        return contract.billed_until + timedelta(days=1)
    return contract.renews_on  # a period paid in advance: the provider's until its end


# updating

_FIXED = ("product_id", "started_on")


def _update(plans: list[_Plan], outcomes: dict[int, Outcome], *, now: datetime, today: date) -> None:
    found = {
        s.subscription_id: s
        for s in import_files.batch_get(
            Subscription,
            [(customer_pk(p.customer_id), f"SUB#{p.existing.subscription_id}") for p in plans],  # type: ignore[union-attr]
        )
    }
    for plan in plans:
        assert plan.existing is not None
        subscription = found.get(plan.existing.subscription_id)
        if subscription is None:
            outcomes[plan.row.line] = _rejected(plan, "external_id", "field.changed_meanwhile")
            continue
        plan.subscription = subscription
        try:
            _update_one(plan, subscription, now=now, today=today)
        except ApiError as error:
            outcomes[plan.row.line] = Outcome(
                plan.row.line,
                plan.row.external_id,
                "rejected",
                plan.customer_id,
                fields={plan.row.named(n): p for n, p in error.fields.items()},  # type: ignore[misc]
            )
            continue
        outcomes[plan.row.line] = _outcome(plan, "updated", subscription.subscription_id)


def _update_one(plan: _Plan, subscription: Subscription, *, now: datetime, today: date) -> None:
    """Bring one imported subscription to its row: the fields, then the status by the service's
    own transitions, then the row's fingerprint (a failure midway leaves it to be imported again)."""
    contract = plan.row.contract
    assert contract is not None
    wanted_options = dict(plan.row.options)
    if subscription.family == "electricity":  # an order's default, which the contract keeps
        wanted_options.setdefault("payment_mode", "monthly")
    fixed = {
        "product_id": (contract.product_id, subscription.product_id),
        "started_on": (contract.started_on.isoformat(), subscription.started_on),
        "options": (_comparable(wanted_options), _comparable(_options_of(subscription))),
    }
    wrong = {name: Phrase("field.not_by_import") for name, (wanted, has) in fixed.items() if wanted != has}
    running = subscription.status in RUNNING and contract.status in RUNNING
    billed_from = (contract.billed_until + timedelta(days=1)).isoformat() if contract.billed_until else None
    if (
        subscription.family == "electricity"
        and running
        and billed_from not in (None, subscription.billed_from)
    ):
        wrong["billed_until"] = Phrase("field.not_by_import")
    if wrong:
        raise ValidationFailed(fields=wrong)
    _set_fields(plan, subscription, now=now)
    _set_status(plan, subscription, now=now, today=today)
    ContractExternalId(
        *plan.key,
        customer_id=plan.customer_id,
        subscription_id=subscription.subscription_id,
        fingerprint=plan.row.fingerprint(plan.customer_id),
        updated_at=now,
    ).save()


def _comparable(options: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in options.items() if v not in (None, [])}, sort_keys=True)


def _options_of(subscription: Subscription) -> dict[str, Any]:
    """The options an imported subscription was made with, as an order's (its energy contract's fields)."""
    options = dict(subscription.options or {})
    if subscription.family == "electricity":
        contract = subscriptions.contract_dict(subscription)
        options |= {
            name: contract[name]
            for name in ("pdl", "subscribed_power_kva", "tariff_option", "off_peak_hours", "payment_mode")
        }
    return options


def _set_fields(plan: _Plan, subscription: Subscription, *, now: datetime) -> None:
    from pynamodb.expressions.update import Action

    contract = plan.row.contract
    assert contract is not None
    actions: list[Action] = []
    label = contract.label or subscription.name
    if label != subscription.label:
        actions += [
            Subscription.label.set(label),
            Subscription.search_text.set(
                subscriptions.search_text(subscription.name, label, subscription.dossier_number)
            ),
        ]
    auto_renew = (
        contract.auto_renew if contract.auto_renew is not None else catalog.auto_renews(plan.row.product)
    )
    if auto_renew != bool(subscription.auto_renew) and subscription.status in RUNNING:
        actions.append(Subscription.auto_renew.set(auto_renew))
    commitment = contract.commitment_ends_on.isoformat() if contract.commitment_ends_on else None
    if commitment != subscription.commitment_ends_on:
        actions.append(
            Subscription.commitment_ends_on.set(commitment)
            if commitment
            else Subscription.commitment_ends_on.remove()
        )
    renewed_from = None
    if contract.status in RUNNING and subscription.status in RUNNING and contract.renews_on:
        renews_on = contract.renews_on.isoformat()
        if renews_on > subscription.renews_on:  # the provider renewed it (older: Guichet renewed it since)
            renewed_from = subscription.renews_on
            keys = subscriptions.renewal_keys(
                subscription.subscription_id,
                subscription.customer_id,
                renews_on,
                subscription.status,
                cancel_at=subscription.cancel_at,
            )
            actions += [
                Subscription.renews_on.set(renews_on),
                Subscription.renews_pk.set(keys[0]),  # type: ignore[arg-type]
                Subscription.renews_sk.set(keys[1]),  # type: ignore[arg-type]
            ]
            if subscription.family != "electricity":  # the provider billed the period it renewed
                actions.append(Subscription.billed_from.set(renews_on))
    if not actions:
        return
    actions.append(Subscription.updated_at.set(now))
    try:
        subscription.update(
            actions=actions,
            condition=(Subscription.status == subscription.status)
            & (Subscription.renews_on == (renewed_from or subscription.renews_on)),
        )
    except UpdateError:
        raise ValidationFailed(fields={"external_id": Phrase("field.changed_meanwhile")}) from None
    if renewed_from is not None:
        subscriptions.announce_renewed(subscription, None, period_start=date.fromisoformat(renewed_from))


def _set_status(plan: _Plan, subscription: Subscription, *, now: datetime, today: date) -> None:
    from pynamodb.expressions.update import Action

    from . import suspensions

    contract = plan.row.contract
    assert contract is not None
    wanted, current = contract.status, subscription.status
    if wanted == current:
        return
    if wanted == "suspended":
        suspensions.suspend_by_operator(
            subscription.customer_id, subscription.subscription_id, now=now, today=today
        )
    elif wanted == "active":
        suspensions.resume_by_operator(
            subscription.customer_id, subscription.subscription_id, now=now, today=today
        )
    else:
        assert contract.ended_on is not None
        action = "cancel" if wanted == "cancelled" else "expire"
        ended_on = contract.ended_on
        extra: list[Action] = [Subscription.ended_on.set(ended_on.isoformat())]
        if action == "cancel":
            extra.append(Subscription.cancel_reason.set("import"))
        subscriptions.transition(subscription, action, now, extra)
        subscription.refresh()
        if action == "cancel":
            # the provider ends it: what it billed is its own to credit, never Guichet's
            subscriptions.announce_cancelled(subscription, ended_on=ended_on, immediate=True, refund=None)
        else:
            subscriptions.announce_expired(subscription, ended_on=ended_on)


# --- one contract over the API ------------------------------------------------------------


def put_one(
    customer_id: str, external_id: str, body: ContractTerms, *, now: datetime, today: date
) -> tuple[Outcome, Subscription]:
    """PUT one contract: create, update or leave it. A customer unknown here, or a contract of
    another customer, is a 404; a rejected body a 409 (its point of delivery supplied, a status it
    cannot reach) or a 422 like any request's."""
    from . import delivery_points

    data = body.model_dump(exclude_unset=True) | {"external_id": external_id, "customer_id": customer_id}
    row = validated(1, data, csv_columns=False, today=today)
    if row.problems:
        raise ValidationFailed(fields=row.problems)
    outcome = apply([row], now=now, today=today)[0]
    if outcome.status == "rejected":
        ids = {p.message_id for p in outcome.fields.values()}
        if ids & {"field.another_customers_contract", "field.unknown_customer"}:
            raise NotFound()  # a customer unknown here, another customer's contract: as a missing id
        if "field.point_supplied" in ids:
            raise delivery_points.DeliveryPointTaken(fields=outcome.fields)
        if "field.status_transition" in ids or "field.status_cannot_suspend" in ids:
            from .errors import ForbiddenTransition

            raise ForbiddenTransition(fields=outcome.fields)
        raise ValidationFailed(fields=outcome.fields)
    assert outcome.subscription_id is not None
    return outcome, subscriptions.get(outcome.customer_id or customer_id, outcome.subscription_id)


def get_one(customer_id: str, external_id: str) -> Subscription:
    """The customer's contract of this provider's id; another customer's answers as a missing one."""
    try:
        item = ContractExternalId.get(*contract_key(external_id))
    except DoesNotExist:
        raise NotFound() from None
    if item.customer_id != customer_id:
        raise NotFound()
    return subscriptions.get(customer_id, item.subscription_id)


def as_operator(subscription: Subscription) -> dict[str, Any]:
    """The operator's view of an imported contract: the subscription with its ids and history."""
    return {
        **subscriptions.as_dict(subscription, detail=True),
        "customer_id": subscription.customer_id,
        "external_id": subscription.external_id,
        "ended_on": subscription.ended_on,
        "commitment_ends_on": subscription.commitment_ends_on,
    }


# --- files ----------------------------------------------------------------------------------

JOB = import_files.FileJob(
    what="contracts",
    record=ContractImport,
    parts=ImportPart,
    queue=import_files.QueueItems(ImportQueued),
    not_found=NotFound,
)


def submit(content: bytes, kind: str, *, operator: str, now: datetime, today: date) -> ContractImport:
    """Keep a file for the job (after checking it can be read: a bad file is a 422 now, not a
    report later) and queue it."""
    rows = read_rows(content, kind, today=today, validate=False)
    return JOB.submit(content, kind, rows=len(rows), operator=operator, now=now)  # type: ignore[no-any-return]


def run_queued(*, now: datetime, today: date, stop: Callable[[], bool]) -> int:
    """Apply the queued files, oldest first (import_files.FileJob), until `stop` says the
    Lambda's time is running out; a run stopped midway applies the file again, the rows applied
    already then unchanged."""
    return JOB.run_queued(
        now=now,
        stop=stop,
        apply=lambda item, content: apply(read_rows(content, item.format, today=today), now=now, today=today),
    )
