"""No acknowledged write lost: every write a client was answered 2xx for during a run under
faults, and every meter file the consumption service reported handled, is found afterwards by
reading it back through the API as its customer, once the faults are off.

    ledger = Ledger()
    ledger.request(method, path, body, answer, customer_id, now)   each answer a client got
    ledger.file(name, content, report)                             each meter file handled
    ledger.check(read, items) -> failures, one a write lost        read(customer_id, path) -> GET's answer,
                                                                   items(service, pk, sk prefix) -> stored

What "found" means depends on the write (`CHECKS`, by route): a thing created (an account, an
order, a payment) can be read by its id, in the state answered or one it went on to; a setting
replaced (a profile field, bank details, preferences, a subscription's settings, auto-renewal,
plan or contract) reads as the last write acknowledged for it left it (a subscription that ended
since aside); every reading of a meter file reads as the last file acknowledged for that meter,
half-hour and direction gave it. A write route with no check here is itself a failure: a write
the simulation comes to make (a cancellation, an operator's...) cannot go unread.

One payment per Idempotency-Key: each customer's payments stored (but the direct debits the
jobs make) are exactly those their payment requests were answered with, one per key, however
many times a request was retried under that key (`one_payment_per_key`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# writes that hand back tokens and store nothing a customer reads: the requests made with those
# tokens afterwards are their read-back (a lost session answers them 401)
TOKEN_ROUTES = frozenset({"POST /auth/login", "POST /auth/refresh", "POST /auth/logout"})
ID = r"[^/?]+"


@dataclass(frozen=True)
class Write:
    """A write request answered 2xx: the route's template, the path, what was sent and answered."""

    order: int
    route: str
    path: str
    ids: tuple[str, ...]  # the path's ids, in order
    body: Any
    answer: Any
    customer_id: str
    at: datetime
    key: str | None = None  # the Idempotency-Key sent

    def __str__(self) -> str:
        return f"{self.path.split('?', 1)[0]} at {self.at:%Y-%m-%d %H:%M} (customer {self.customer_id})"


Read = Callable[[str, str], Any]  # (customer id, path) -> the answer of a GET as that customer
Items = Callable[[str, str, str], list[dict[str, Any]]]  # (service, pk, sk prefix) -> items of its table


@dataclass
class Reading:
    """A meter's half-hour as the last file acknowledged for it gave it."""

    meter: str  # the file's meter_id: a PDL, or a mobile line's meter
    start: datetime
    direction: str
    value: Decimal
    file: str


def _route(method: str, path: str) -> tuple[str, tuple[str, ...]] | None:
    """The route template of a path (its ids apart), or None for a route no check knows."""
    bare = path.split("?", 1)[0]
    for template in CHECKS:
        verb, pattern = template.split(" ", 1)
        if verb != method:
            continue
        regex = "^" + re.sub(r"\\\{[a-z_]+\\\}", f"({ID})", re.escape(pattern)) + "$"
        match = re.match(regex, bare)
        if match:
            return template, match.groups()
    return None


@dataclass
class Ledger:
    writes: list[Write] = field(default_factory=list)
    readings: dict[tuple[str, datetime, str], Reading] = field(default_factory=dict)
    files: int = 0
    unknown: list[str] = field(default_factory=list)  # write routes no check knows
    _tables: Items | None = field(default=None, repr=False)  # what `check` is given to read tables

    def request(
        self,
        method: str,
        path: str,
        body: Any,
        answer: Any,
        customer_id: str | None,
        now: datetime,
        key: str | None = None,
    ) -> None:
        """An answer a client got (after its retries): kept if it acknowledged a write."""
        status = answer.status_code
        if method not in WRITE_METHODS or not 200 <= status < 300:
            return
        label = f"{method} {path.split('?', 1)[0]}"
        if label in TOKEN_ROUTES:
            return
        known = _route(method, path)
        if known is None:
            self.unknown.append(label)
            return
        route, ids = known
        try:
            content = answer.json() if answer.content else None
        except ValueError:
            content = None
        if route in ("POST /auth/register", "POST /auth/verify-email"):  # no token: the answer says whose
            customer_id = (content or {}).get("customer_id")
        if route.startswith("POST /invoices/operator/") or route.startswith("POST /subscriptions/operator/"):
            customer_id = ids[0]
        self.writes.append(
            Write(len(self.writes), route, path, ids, body, content, customer_id or "?", now, key)
        )

    def file(self, name: str, content: bytes, report: dict[str, Any]) -> None:
        """A meter file the consumption service reported handled: its accepted rows."""
        self.files += 1
        rejected = {int(row["line"]) for row in report.get("rejected") or []}
        lines = content.decode().splitlines()
        header = lines[0].split(",")
        for number, line in enumerate(lines[1:], start=2):
            if number in rejected or not line.strip():
                continue
            row = dict(zip(header, line.split(","), strict=False))
            start = datetime.fromisoformat(row["start"].replace("Z", "+00:00")).astimezone(UTC)
            direction = row.get("direction") or "consumption"
            key = (row["meter_id"], start, direction)
            self.readings[key] = Reading(row["meter_id"], start, direction, Decimal(row["value"]), name)

    @property
    def count(self) -> int:
        """The writes acknowledged: requests, and meter files."""
        return len(self.writes) + self.files

    def check(self, read: Read, items: Items) -> list[str]:
        """One line for each acknowledged write not found (and each write route unknown), and for
        each payment stored beyond one per Idempotency-Key."""
        self._tables = items
        try:
            failures = [
                f"{label}: a write with no read-back in tests/faults/acknowledged.py"
                for label in self.unknown
            ]
            for write in self.writes:
                try:
                    problem = CHECKS[write.route](self, write, read)
                except Exception as error:  # e.g. a login to read with refused: the write is not found
                    problem = f"could not be read back: {error!r}"
                if problem:
                    failures.append(f"{write.route} acknowledged, lost: {write}: {problem}")
            failures += self._readings(read)
            return failures + self.one_payment_per_key()
        finally:
            self._tables = None  # the tables stay with the runtime: a ledger goes back to the test alone

    def items(self, service: str, pk: str, prefix: str) -> list[dict[str, Any]]:
        """The items of a service's table in a partition whose sort keys start with `prefix`."""
        assert self._tables is not None, "the tables are read during `check` only"
        return self._tables(service, pk, prefix)

    def one_payment_per_key(self) -> list[str]:
        """Payments stored for no answer (a key charged twice, or a request answered as failed
        that charged), and keys answered with more than one payment."""
        answered: dict[str, dict[str, str]] = {}  # customer -> payment id -> key
        failures = []
        for write in self.writes:
            if write.route not in PAYMENT_ROUTES:
                continue
            payment_id = str((write.answer or {}).get("payment_id", ""))
            mine = answered.setdefault(write.customer_id, {})
            if payment_id in mine and mine[payment_id] != write.key:
                failures.append(
                    f"payment {payment_id} answered to the keys {mine[payment_id]} and {write.key}"
                )
            mine[payment_id] = write.key or ""
        for customer_id in sorted({write.customer_id for write in self.writes} - {"?"}):
            mine = answered.get(customer_id, {})
            by_key: dict[str, list[str]] = {}
            for payment_id, key in mine.items():
                by_key.setdefault(key, []).append(payment_id)
            failures += [
                f"customer {customer_id}: the key {key} answered with {len(ids)} payments {sorted(ids)}"
                for key, ids in by_key.items()
                if len(ids) > 1
            ]
            stored = self.items("invoices", f"CUSTOMER#{customer_id}", "PAYMENT#")
            failures += [
                f"customer {customer_id}: payment {item['payment_id']} ({item.get('method')}, "
                f"{item.get('status')}, {item.get('amount_cents')} c) stored, no request answered with it"
                for item in stored
                if item.get("method") != "direct_debit" and item["payment_id"] not in mine
            ]
        return failures

    def later(self, write: Write, *routes: str) -> list[Write]:
        """The writes acknowledged after `write` by these routes for the same customer and object
        (the path's last id: a subscription, on a customer's route or an operator's)."""
        return [
            other
            for other in self.writes
            if other.order > write.order
            and other.route in routes
            and other.customer_id == write.customer_id
            and other.ids[-1:] == write.ids[-1:]
        ]

    def _readings(self, read: Read) -> list[str]:
        by_meter: dict[str, list[Reading]] = {}
        for reading in self.readings.values():
            by_meter.setdefault(reading.meter, []).append(reading)
        owners = self._meter_owners(read)
        failures = []
        for meter, readings in sorted(by_meter.items()):
            if not owners.get(meter):
                failures.append(f"meter {meter}: {len(readings)} readings acknowledged, no customer has it")
                continue
            first = min(r.start for r in readings).date() - timedelta(days=1)
            last = max(r.start for r in readings).date() + timedelta(days=1)
            # a home that changed hands: each occupant reads their own days of it
            stored: dict[tuple[datetime, str], Decimal] = {}
            for customer_id, meter_id in owners[meter]:
                path = f"/consumption/meters/{meter_id}/series?from={first}&to={last}&step=half_hour"
                answer = read(customer_id, path)
                if answer.status_code != 200:
                    failures.append(f"meter {meter}: GET {path} answered {answer.status_code}")
                    continue
                for point in answer.json()["points"]:
                    start = datetime.fromisoformat(point["start"].replace("Z", "+00:00")).astimezone(UTC)
                    for direction, name in (("consumption", "value"), ("injection", "injected")):
                        if point.get(name) is not None:
                            stored.setdefault((start, direction), Decimal(str(point[name])))
            for reading in sorted(readings, key=lambda r: (r.start, r.direction)):
                found = stored.get((reading.start, reading.direction))
                if found is None or abs(found - reading.value) > Decimal("0.0005"):
                    failures.append(
                        f"meter file {reading.file} acknowledged, lost: {meter} "
                        f"{reading.start:%Y-%m-%dT%H:%MZ} {reading.direction} {reading.value}, read {found}"
                    )
        return failures

    def _meter_owners(self, read: Read) -> dict[str, list[tuple[str, str]]]:
        """The file's meter ids (PDLs, mobile meters) -> [(customer id, meter id of the API)]."""
        owners: dict[str, list[tuple[str, str]]] = {}
        for customer_id in sorted({write.customer_id for write in self.writes if write.customer_id != "?"}):
            try:
                answer = read(customer_id, "/consumption/meters")
            except Exception:  # a customer who cannot read: their writes say so, their meters are no one's
                continue
            if answer.status_code != 200:
                continue
            for meter in answer.json()["items"]:
                for name in {meter["meter_id"], str(meter.get("pdl") or meter["meter_id"])}:
                    owners.setdefault(name, []).append((customer_id, meter["meter_id"]))
        return owners


# --- what reading back means, by route ----------------------------------------------------------


def _get(read: Read, write: Write, path: str) -> tuple[Any, str | None]:
    answer = read(write.customer_id, path)
    if answer.status_code != 200:
        return None, f"GET {path} answered {answer.status_code}"
    return answer.json(), None


def _registered(ledger: Ledger, write: Write, read: Read) -> str | None:
    profile, problem = _get(read, write, "/auth/me")
    if problem:
        return problem
    if profile["customer_id"] != write.customer_id or profile["email"].lower() != write.body["email"].lower():
        return f"the profile reads {profile['customer_id']} {profile['email']}"
    return None


def _verified(ledger: Ledger, write: Write, read: Read) -> str | None:
    _, problem = _get(read, write, "/auth/me")
    return problem  # the customer's own login, done to read, needs the address verified


def _matches(sent: Any, stored: Any) -> bool:
    """What was sent is what is read: an object's fields sent (the server may add others)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(
            _matches(value, stored.get(name)) for name, value in sent.items()
        )
    return bool(sent == stored)


def _last_fields(ledger: Ledger, write: Write, read: Read, path: str) -> str | None:
    """Each field the write sent reads as sent, unless a later write of the same route sent it
    again."""
    later = ledger.later(write, write.route)
    fields = {
        name: value
        for name, value in (write.body or {}).items()
        if not any(name in (other.body or {}) for other in later)
    }
    if not fields:
        return None
    current, problem = _get(read, write, path)
    if problem:
        return problem
    changed = {
        name: (value, current.get(name))
        for name, value in fields.items()
        if not _matches(value, current.get(name))
    }
    return (
        f"sent {', '.join(f'{n}={v!r}, reads {r!r}' for n, (v, r) in changed.items())}" if changed else None
    )


def _profile(ledger: Ledger, write: Write, read: Read) -> str | None:
    return _last_fields(ledger, write, read, "/auth/me")


def _preferences(ledger: Ledger, write: Write, read: Read) -> str | None:
    return _last_fields(ledger, write, read, "/invoices/preferences")


def _bank_account(ledger: Ledger, write: Write, read: Read) -> str | None:
    if ledger.later(write, write.route):
        return None  # replaced since: the last one is checked
    current, problem = _get(read, write, "/invoices/bank-account")
    if problem:
        return problem
    wanted = {name: (write.answer or {}).get(name) for name in ("iban_masked", "holder", "mandate_reference")}
    read_back = {name: current.get(name) for name in wanted}
    return None if read_back == wanted else f"acknowledged {wanted}, reads {read_back}"


def _order(ledger: Ledger, write: Write, read: Read) -> str | None:
    order_id = (write.answer or {}).get("order_id")
    if not order_id:
        return "the answer names no order"
    order, problem = _get(read, write, f"/subscriptions/orders/{order_id}")
    if problem:
        return problem
    if write.route == "POST /subscriptions/orders":
        sent = sorted(item["product_id"] for item in write.body["items"])
        stored = sorted(item["product_id"] for item in order["items"])
        if sent != stored:
            return f"ordered {sent}, the order holds {stored}"
    return None


# what a payment answered with may become (a cheque or TIP received, or never arriving)
PAYMENT_NEXT = {"pending": ("pending", "succeeded", "expired")}


def _payment(ledger: Ledger, write: Write, read: Read) -> str | None:
    """The payment is stored in the state answered (or the one it went on to); a payment that
    succeeded is among the payments of each invoice it paid (no route reads a payment alone)."""
    payment_id, status = (write.answer or {}).get("payment_id"), (write.answer or {}).get("status")
    if not payment_id:
        return "the answer names no payment"
    stored = next(
        iter(ledger.items("invoices", f"CUSTOMER#{write.customer_id}", f"PAYMENT#{payment_id}")), None
    )
    if stored is None:
        return f"no payment {payment_id} stored"
    if stored.get("status") not in PAYMENT_NEXT.get(status, (status,)):
        return f"payment {payment_id} answered {status}, stored {stored.get('status')}"
    if stored.get("status") != "succeeded":
        return None
    invoices = list(write.ids) or list(write.body.get("invoice_ids") or [])
    for invoice_id in invoices:
        invoice, problem = _get(read, write, f"/invoices/{invoice_id}")
        if problem:
            return problem
        if payment_id not in {payment["payment_id"] for payment in invoice.get("payments") or []}:
            return f"invoice {invoice_id} has no payment {payment_id}"
    return None


ENDED = ("expired", "cancelled")
SUBSCRIPTION = "/subscriptions/{subscription_id}"


def _settings(ledger: Ledger, write: Write, read: Read) -> str | None:
    if ledger.later(write, write.route):
        return None
    current, problem = _get(read, write, f"/subscriptions/{write.ids[0]}")
    if problem:
        return problem
    acknowledged = (write.answer or {}).get("settings")
    return (
        None
        if current.get("settings") == acknowledged
        else f"acknowledged {acknowledged}, reads {current.get('settings')}"
    )


def _subscription_changes(ledger: Ledger, write: Write, read: Read) -> str | None:
    """auto_renew and product_id as sent, the contract as the answer to the options had it; a
    later change of the same field, a cancellation or the end of the subscription aside."""
    later = ledger.later(write, write.route, f"POST {SUBSCRIPTION}/cancel")
    current, problem = _get(read, write, f"/subscriptions/{write.ids[0]}")
    if problem:
        return problem
    if current["status"] in ENDED:
        return None
    acknowledged = write.answer or {}
    problems = []
    for name in ("auto_renew", "product_id"):
        if (
            name in write.body
            and not any(name in (other.body or {}) or "cancel" in other.route for other in later)
            and current.get(name) != write.body[name]
        ):
            problems.append(f"{name} sent {write.body[name]!r}, reads {current.get(name)!r}")
    options_kept = "options" in write.body and not any("options" in (other.body or {}) for other in later)
    if options_kept and current.get("contract") != acknowledged.get("contract"):
        problems.append(
            f"contract acknowledged {acknowledged.get('contract')}, reads {current.get('contract')}"
        )
    return "; ".join(problems) or None


CHECKS: dict[str, Callable[[Ledger, Write, Read], str | None]] = {
    "POST /auth/register": _registered,
    "POST /auth/verify-email": _verified,
    "PATCH /auth/me": _profile,
    "PUT /invoices/bank-account": _bank_account,
    "PATCH /invoices/preferences": _preferences,
    "POST /subscriptions/orders": _order,
    "POST /invoices/{invoice_id}/payments": _payment,
    "POST /invoices/payments": _payment,
    f"PUT {SUBSCRIPTION}/settings": _settings,
    f"PATCH {SUBSCRIPTION}": _subscription_changes,
}
PAYMENT_ROUTES = ("POST /invoices/{invoice_id}/payments", "POST /invoices/payments")


__all__ = ["CHECKS", "Ledger", "Read", "Write"]
