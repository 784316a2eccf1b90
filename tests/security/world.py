"""The security suite's world: three customers holding one of every kind of object, the OpenAPI
documents the services serve, and tokens signed with the local runtime's own key.

    world = build_world(runtime)
    world.customers            three `Holder`s (A, B, C), each with `ids`: path parameter -> its id
    world.operations           every (method, path, operation) of the four OpenAPI documents
    world.signer               signs tokens as the auth service does (`access`, `operator`, `sign`)
    world.machine_client       a machine client with every scope: `.token()`, from POST /auth/oauth/token
    path_for(route, holder)    the route's path filled with the holder's ids (KeyError: unknown parameter)
    valid_body(route, holder)  a body the route accepts; request(world, route, path, token, body)
    snapshot(world, holder)    what the holder reads on every GET (to tell that nothing changed)
    altered(id)                an id of the same shape that names nothing
    world.tally                what the suite tried and how much of it held (the scorecard's line)

Everything is made over HTTP, as a customer and the back office would: register, verify, log in,
a contact, orders paid by card (one whose refunds the provider declines) or by cheque (awaited),
an electricity contract with its meter and a few readings, bank details (a SEPA mandate), an
appointment, and an operator's credit note whose refund waits for a hand. Dates come from the
runtime's clock, never this process's.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import REPO, LocalRuntime, eventually
from customers import Customer, client_address, order_invoice, provider_invoice, verified_customer
from guichet_contracts.operator_tokens import SCOPES

CATALOG = json.loads((REPO / "services/subscriptions/chalicelib/catalog.json").read_text(encoding="utf-8"))
CATALOG_PRODUCT = "hosting-linux-100"

SERVICES = ("auth", "subscriptions", "invoices", "consumption")
METHODS = ("get", "post", "put", "patch", "delete")
IBAN = "FR7630006000011234567890189"
PEOPLE = (
    ("Aline", "Aubert", "Lyon", "69003"),
    ("Bruno", "Besson", "Nantes", "44000"),
    ("Chloé", "Carpentier", "Lille", "59000"),
)


@dataclass
class Holder:
    """A customer of the suite and the ids of what they hold, by the path parameter naming them."""

    name: str
    customer: Customer
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return self.customer.auth


@dataclass(frozen=True)
class Operation:
    service: str
    method: str  # upper case
    path: str  # as documented, with {parameters}
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def operator(self) -> bool:
        return any("operator" in scheme for scheme in self.spec.get("security") or [])

    @property
    def protected(self) -> bool:
        """Behind a bearer token: a customer's access token, or an operator's (a machine client's
        Basic authentication at POST /auth/oauth/token is not one)."""
        return any("bearer" in scheme or "operator" in scheme for scheme in self.spec.get("security") or [])

    @property
    def idempotent(self) -> bool:
        return any(
            parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
            for parameter in self.spec.get("parameters", [])
        )

    @property
    def body_schema(self) -> str | None:
        reference = (
            self.spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        return str(reference["$ref"]).rsplit("/", 1)[1] if "$ref" in reference else None


def documented_operations(runtime: LocalRuntime) -> list[Operation]:
    """Every operation of the four documents the services serve (GET /<service>/openapi.json)."""
    operations = []
    for service in SERVICES:
        answer = runtime.get(f"/{service}/openapi.json")
        assert answer.status_code == 200, f"GET /{service}/openapi.json: {answer.status_code}"
        for path, methods in answer.json()["paths"].items():
            operations += [
                Operation(service, method.upper(), path, spec)
                for method, spec in methods.items()
                if method in METHODS
            ]
    return operations


class Signer:
    """Signs tokens with the local runtime's key (the auth service's signing secret in the
    emulator's Secrets Manager), with the issuer and audiences the services verify."""

    def __init__(self, runtime: LocalRuntime, sample_access_token: str) -> None:
        import jwt
        from cryptography.hazmat.primitives import serialization
        from guichet_local.services import STAGE, Service, chalice_config, stage_environment

        def environment(service: str) -> dict[str, str]:
            return stage_environment(chalice_config(Service(name=service, base_path=f"/{service}")), STAGE)

        header = jwt.get_unverified_header(sample_access_token)
        claims = jwt.decode(sample_access_token, options={"verify_signature": False})
        secret_id = environment("auth")["AUTH_JWT_SIGNING_SECRET"]
        secret = json.loads(
            runtime.aws("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
        )
        assert secret["kid"] == header["kid"], "the runtime signs with another key than its secret holds"
        self.kid: str = secret["kid"]
        self.key = serialization.load_pem_private_key(secret["private_key_pem"].encode(), password=None)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.issuer: str = claims["iss"]
        self.audience: str = claims["aud"]
        self.operator_audience = environment("invoices")["GUICHET_OPERATOR_AUDIENCE"]
        self.runtime = runtime

    def now(self) -> int:
        return int(self.runtime.now().timestamp())

    def claims(self, customer_id: str | None, *, operator: bool = False, **overrides: Any) -> dict[str, Any]:
        """Valid claims: an access token of `customer_id`, or an operator token with every scope."""
        now = self.now()
        claims: dict[str, Any] = {"iss": self.issuer, "jti": uuid.uuid4().hex, "iat": now, "nbf": now}
        if operator:
            claims |= {
                "aud": self.operator_audience,
                "sub": "ops:security-suite",
                "scope": " ".join(SCOPES),
                "exp": now + 3600,
            }
        else:
            claims |= {"aud": self.audience, "sub": customer_id, "sid": uuid.uuid4().hex, "exp": now + 900}
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(
        self, claims: dict[str, Any], *, key: Any = None, algorithm: str = "ES256", **header: Any
    ) -> str:
        import jwt

        headers = {"kid": self.kid, "typ": "at+jwt", **header}
        headers = {name: value for name, value in headers.items() if value is not None}
        return jwt.encode(claims, self.key if key is None else key, algorithm=algorithm, headers=headers)

    def access(self, customer_id: str, **overrides: Any) -> str:
        return self.sign(self.claims(customer_id, **overrides))

    def operator(self, **overrides: Any) -> str:
        return self.sign(self.claims(None, operator=True, **overrides))


class Tally:
    """What the suite tried, by kind of probe, and how many held: each test records each request
    it sends as an attacker (and each answer it checks) as it checks it; `tier` turns the counts
    into the security suite's line of the reliability scorecard (tests/scorecard.py)."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.held: Counter[str] = Counter()

    def record(self, kind: str, held: bool) -> None:
        self.tried[kind] += 1
        self.held[kind] += held

    def tier(self) -> dict[str, Any]:
        """The arguments of `scorecard.write_tier` for what was recorded (kinds in the order met)."""
        count, held = sum(self.tried.values()), sum(self.held.values())
        return {
            "name": "Security suite",
            "tried": (
                "requests of an attacker over HTTP: other customers' ids on every route with an id, "
                "forged and misused tokens on every protected route, fields a caller must not set on "
                "every write route; the session cookie's attributes, forgery and replay; answers checked "
                "for their headers and for stack traces"
            ),
            "count": count,
            "held": held,
            "command": "make test-security",
            "details": [
                f"{kind}: {self.tried[kind]:,} tried, {self.held[kind]:,} held" for kind in self.tried
            ],
        }


@dataclass(frozen=True)
class MachineClient:
    """A machine client of the runtime with every scope, made by the operator command
    (`make operator-client`): `token()` is a fresh operator token of POST /auth/oauth/token."""

    runtime: LocalRuntime
    client_id: str
    client_secret: str

    @classmethod
    def made(cls, runtime: LocalRuntime) -> MachineClient:
        import subprocess
        import sys

        from conftest import REPO
        from guichet_contracts.operator_tokens import SCOPES

        done = subprocess.run(
            [
                *(sys.executable, "-m", "guichet_local.operator_clients", "--port", str(runtime.port)),
                *("create", "--name", "security suite", "--scopes", " ".join(SCOPES)),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"the operator command failed: {done.stderr}"
        made = json.loads(done.stdout)
        return cls(runtime, made["client_id"], made["client_secret"])

    def token(self) -> str:
        answer = self.runtime.post(
            "/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        return str(_json(answer, "an operator token of POST /auth/oauth/token")["access_token"])


@dataclass
class World:
    runtime: LocalRuntime
    customers: list[Holder]
    operations: list[Operation]
    signer: Signer
    refresh_token: str  # a live refresh token of customer A
    machine_client: MachineClient
    # a customer without a second factor (the holders have passkeys: their password logins ask
    # for one), for what a password login itself must do (the session cookie)
    password_only: Customer
    tally: Tally = field(default_factory=Tally)

    def holder(self, name: str) -> Holder:
        return next(holder for holder in self.customers if holder.name == name)


def path_for(operation: Operation, holder: Holder, **given: str) -> str:
    """The operation's path with each {parameter} replaced by the holder's id (or `given`).
    A parameter the world has no id for raises KeyError: a new route must be taught here."""
    path = operation.path
    for name in operation.parameters:
        value = given[name] if name in given else holder.ids[name]
        path = path.replace("{" + name + "}", value)
    return path


def _json(answer: Any, what: str, status: int = 200) -> Any:
    assert answer.status_code == status, f"{what}: {answer.status_code} {answer.text}"
    return answer.json()


def _order(runtime: LocalRuntime, customer: Customer, items: list[dict[str, Any]]) -> str:
    answer = runtime.post(
        "/subscriptions/orders",
        json={"items": items},
        headers={**customer.auth, "Idempotency-Key": f"order-{uuid.uuid4()}"},
    )
    return str(_json(answer, "an order", 201)["order_id"])


def _pay(runtime: LocalRuntime, customer: Customer, invoice_id: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = runtime.post(
        f"/invoices/{invoice_id}/payments",
        json=body,
        headers={**customer.auth, "Idempotency-Key": f"pay-{uuid.uuid4()}"},
    )
    return dict(_json(answer, f"a payment of {invoice_id}", 201))


def _passkey(runtime: LocalRuntime, customer: Customer) -> str:
    """A passkey of the customer, made by a software authenticator on the runtime's origin (the
    relying party is `localhost` on the local stage: docs/API.md)."""
    from guichet_local.soft_authenticator import SoftAuthenticator

    authenticator = SoftAuthenticator(origin=runtime.url.replace("127.0.0.1", "localhost"))
    options = _json(runtime.post("/auth/me/passkeys/options", headers=customer.auth), "passkey options")
    registered = runtime.post(
        "/auth/me/passkeys",
        json={"credential": authenticator.create(options), "name": "Clé", "password": PASSWORD},
        headers=customer.auth,
    )
    return str(_json(registered, "a passkey", 201)["passkey_id"])


def _holder(runtime: LocalRuntime, index: int, person: tuple[str, str, str, str], now: datetime) -> Holder:
    name = "ABC"[index]
    first, last, city, postal_code = person
    customer = verified_customer(
        runtime,
        f"sec-{name.lower()}",
        first_name=first,
        last_name=last,
        address={"line1": "3 rue des Lilas", "postal_code": postal_code, "city": city, "country": "FR"},
    )
    holder = Holder(name, customer, {"customer_id": customer.customer_id, "kind": "contract"})
    auth = customer.auth
    holder.ids["session_id"] = _json(runtime.get("/auth/me/sessions", headers=auth), "sessions")["items"][0][
        "session_id"
    ]
    contact = runtime.post(
        "/auth/me/contacts",
        json={
            "name": f"{first} Compta",
            "email": f"compta-{uuid.uuid4().hex[:6]}@example.org",
            "roles": ["billing"],
        },
        headers=auth,
    )
    holder.ids["contact_id"] = _json(contact, "a contact", 201)["contact_id"]
    holder.ids["passkey_id"] = _passkey(runtime, customer)
    _json(
        runtime.request(
            "PUT", "/invoices/bank-account", json={"iban": IBAN, "holder": f"{first} {last}"}, headers=auth
        ),
        "bank details",
    )

    # a hosting pack paid by a card whose refunds the provider declines: a subscription, a paid
    # invoice and its payment; then a mobile line whose cheque is awaited; then electricity
    hosting = _order(runtime, customer, [{"product_id": "hosting-linux-100", "label": f"Site {first}"}])
    hosting_invoice = order_invoice(runtime, customer, hosting, timeout=60)
    _pay(runtime, customer, hosting_invoice["invoice_id"], {"method": "card", "card_token": "tok_refundFail"})
    mobile = _order(runtime, customer, [{"product_id": "mobile-2h", "label": f"Ligne {first}"}])
    mobile_invoice = order_invoice(runtime, customer, mobile, timeout=60)
    cheque = _pay(runtime, customer, mobile_invoice["invoice_id"], {"method": "check"})
    assert cheque["status"] == "pending", cheque
    pdl = f"{uuid.uuid4().int % 10**14:014d}"
    options = {"pdl": pdl, "subscribed_power_kva": 6, "tariff_option": "base", "payment_mode": "per_invoice"}
    _order(
        runtime, customer, [{"product_id": "electricity-essentielle", "label": "Maison", "options": options}]
    )
    holder.ids |= {
        "order_id": hosting,
        "invoice_id": hosting_invoice["invoice_id"],
        "payment_id": cheque["payment_id"],
    }

    def hosting_subscription() -> str | None:
        items = _json(runtime.get("/subscriptions", headers=auth), "subscriptions")["items"]
        return next((item["subscription_id"] for item in items if item["family"] == "hosting"), None)

    subscription_id = eventually(hosting_subscription, timeout=60)
    assert subscription_id, f"{name}: the hosting order was not provisioned in time"
    holder.ids["subscription_id"] = subscription_id
    holder.ids["product_id"] = CATALOG_PRODUCT  # a product of the catalog (its operator routes)
    meters = eventually(
        lambda: _json(runtime.get("/consumption/meters", headers=auth), "meters")["items"], timeout=60
    )
    assert meters, f"{name}: the electricity meter did not appear in time"
    holder.ids["meter_id"] = meters[0]["meter_id"]
    start = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = ["meter_id,start,value"] + [
        f"{pdl},{(start + timedelta(minutes=30 * n)).strftime('%Y-%m-%dT%H:%M:%SZ')},0.5" for n in range(8)
    ]
    report = _json(
        runtime.post(f"/_local/ingest?name=sec-{pdl}.csv", data="\n".join(rows).encode()), "ingest"
    )
    assert report["accepted"] == 8, report

    # a copy of their data, ready (GET /auth/me/data-exports/{export_id})
    export_id = _json(runtime.post("/auth/me/data-exports", headers=auth), "a data export", 202)["export_id"]
    ready = eventually(
        lambda: (
            _json(runtime.get(f"/auth/me/data-exports/{export_id}", headers=auth), "export")["status"]
            == "ready"
        ),
        timeout=60,
    )
    assert ready, f"{name}: the data export was not ready in time"
    holder.ids["export_id"] = export_id

    # a slot of their own: the three customers are made side by side
    slots = _json(runtime.get("/subscriptions/appointments/slots", headers=auth), "slots")["items"]
    booked = runtime.post(
        "/subscriptions/appointments",
        json={"start": slots[index]["start"], "topic": f"Questions de {first}", "phone": "0612345678"},
        headers=auth,
    )
    holder.ids["appointment_id"] = _json(booked, "an appointment", 201)["appointment_id"]
    return holder


def _refund_waiting(runtime: LocalRuntime, signer: Signer, holder: Holder) -> str:
    """An operator's credit note on the card-paid invoice: its refund, declined, waits for a hand."""
    answer = runtime.post(
        f"/invoices/operator/customers/{holder.customer.customer_id}/invoices/{holder.ids['invoice_id']}/credit-notes",
        json={"amount_cents": 100, "reason": "geste commercial"},
        headers={"Authorization": f"Bearer {signer.operator()}", "Idempotency-Key": f"cn-{uuid.uuid4()}"},
    )
    credit_note = _json(answer, "a credit note", 201)

    def refund() -> str | None:
        detail = _json(
            runtime.get(f"/invoices/{credit_note['invoice_id']}", headers=holder.auth), "the credit note"
        )
        return next((item["refund_id"] for item in detail.get("refunds") or []), None)

    refund_id = eventually(refund, timeout=60)
    assert refund_id, f"{holder.name}: the credit note has no refund"
    return str(refund_id)


def _imported(runtime: LocalRuntime, signer: Signer, holder: Holder) -> dict[str, str]:
    """A customer the provider imported for the holder's ids of the auth operator routes: the
    provider's id of it (`external_id`) and the file that brought it in (`import_id`); the same id
    names an invoice of the provider's billing imported for the holder (invoices operator routes,
    and a file of them: `invoice_import_id`, a secret of the holder's like their other ids)
    and a contract of the provider's systems imported for them (subscriptions operator routes)."""
    external_id = f"sec-{holder.name.lower()}-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {signer.operator()}"}
    imported = runtime.post(
        "/auth/operator/customers/imports",
        data=f"external_id,email,first_name,last_name\n{external_id},{external_id}@example.org,Ida,Imbert\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    # and an invoice of the provider's own billing under the same id, for the invoices operator routes
    invoice = runtime.request(
        "PUT",
        f"/invoices/operator/customers/{holder.customer.customer_id}/provider-invoices/{external_id}",
        json=provider_invoice(external_id.upper()),
        headers=headers,
    )
    _json(invoice, "an invoice of the provider's billing", 201)
    # and a file of the provider's invoices with one of the holder's (its report names the holder)
    invoices_file = runtime.post(
        "/invoices/operator/provider-invoices/imports",
        data=json.dumps(
            {
                "customer_id": holder.customer.customer_id,
                "external_id": f"{external_id}-file",
                **provider_invoice(f"{external_id}-FILE".upper()),
            }
        )
        + "\n",
        headers={**headers, "Content-Type": "application/jsonl"},
    )
    invoice_import_id = _json(invoices_file, "an invoices file", 202)["import_id"]
    assert runtime.job("invoices.apply_invoice_imports").returncode == 0
    report = f"/invoices/operator/provider-invoices/imports/{invoice_import_id}"
    # applied before the suite snapshots the holder's data, which the job would change meanwhile
    applied = eventually(lambda: _json(runtime.get(report, headers=headers), "a report")["status"] == "done")
    assert applied, "the invoices file was not applied"
    # and a contract of the provider's systems under the same id (subscriptions operator routes)
    contract = runtime.request(
        "PUT",
        f"/subscriptions/operator/customers/{holder.customer.customer_id}/subscriptions/{external_id}",
        json=imported_contract(),
        headers=headers,
    )
    _json(contract, "a contract of the provider's systems", 201)
    # and a request to recover the holder's account, open, for the recovery cases' operator routes
    asked = runtime.post(
        "/auth/recovery-requests",
        json={"customer_id": holder.customer.customer_id, "contact_phone": "0612345678", "message": "Perdu"},
        headers={"X-Forwarded-For": client_address()},
    )
    _json(asked, "a recovery request", 202)
    cases = _json(runtime.get("/auth/operator/recovery-cases", headers=headers), "the recovery cases")[
        "items"
    ]
    (case_id,) = [case["case_id"] for case in cases if case["customer_id"] == holder.customer.customer_id]
    return {
        "external_id": external_id,
        "import_id": _json(imported, "a customers file", 202)["import_id"],
        "invoice_import_id": invoice_import_id,
        "case_id": case_id,
    }


def imported_contract() -> dict[str, Any]:
    """A running hosting plan of the provider's systems as its operator route takes it (its period
    far ahead: a running contract's renews_on is after the day it is imported)."""
    return {
        "product_id": "hosting-linux-100",
        "label": "Site importé",
        "status": "active",
        "started_on": "2025-01-15",
        "renews_on": "2099-01-15",
    }


def _webhook(runtime: LocalRuntime, signer: Signer, holder: Holder) -> dict[str, str]:
    """A webhook endpoint of the operator for the holder's ids of the webhook routes, and a
    delivery of its log: the holder's profile changed (customer.updated), sent to a host that
    does not resolve (the delivery waits, pending)."""
    headers = {"Authorization": f"Bearer {signer.operator()}"}
    made = runtime.post(
        "/auth/operator/webhooks/endpoints",
        json={"url": f"https://sec-{holder.name.lower()}.invalid/hook", "event_types": ["customer.updated"]},
        headers=headers,
    )
    endpoint_id = _json(made, "a webhook endpoint", 201)["endpoint_id"]
    changed = runtime.request(
        "PATCH", "/auth/me", json={"company": f"Atelier {holder.name}"}, headers=holder.customer.auth
    )
    _json(changed, "a profile change")
    log = f"/auth/operator/webhooks/endpoints/{endpoint_id}/deliveries"

    def delivered() -> list[dict[str, Any]]:
        return list(_json(runtime.get(log, headers=headers), "a delivery log")["items"])

    deliveries = eventually(delivered, timeout=30)
    assert deliveries, "no webhook delivery was recorded"
    return {"endpoint_id": endpoint_id, "delivery_id": deliveries[-1]["delivery_id"]}


def build_world(runtime: LocalRuntime) -> World:
    now = runtime.now().astimezone(UTC)
    with ThreadPoolExecutor(max_workers=3) as pool:
        holders = list(pool.map(lambda pair: _holder(runtime, pair[0], pair[1], now), enumerate(PEOPLE)))
    signer = Signer(runtime, holders[0].customer.tokens["access_token"])
    for holder in holders:
        holder.ids["refund_id"] = _refund_waiting(runtime, signer, holder)
        holder.ids |= _imported(runtime, signer, holder)
        holder.ids |= _webhook(runtime, signer, holder)
    return World(
        runtime=runtime,
        customers=holders,
        operations=documented_operations(runtime),
        signer=signer,
        refresh_token=holders[0].customer.tokens["refresh_token"],
        machine_client=MachineClient.made(runtime),
        password_only=verified_customer(runtime, "sec-password", first_name="Denis", last_name="Dumas"),
    )


PASSWORD = "a long and personal passphrase 2026"  # customers.PASSWORD


def valid_body(operation: Operation, target: Holder, slot: str | None = None) -> dict[str, Any] | None:
    """A body the operation would accept for the ids of `target` (the owner of the path's ids,
    or whoever is attacked): an error then comes from who asks, never from the body. None for an
    operation that takes no body; KeyError for a documented body the suite cannot fill yet."""
    unique = uuid.uuid4().hex[:8]
    by_schema: dict[str, dict[str, Any]] = {
        # auth
        "Registration": {
            "email": f"sec-new-{unique}@example.org",
            "password": PASSWORD,
            "first_name": "Denis",
            "last_name": "Dumas",
        },
        "TokenBody": {"token": f"tok{unique}" * 4},
        "Login": {"login": target.customer.email, "password": PASSWORD},
        "RefreshBody": {"refresh_token": f"rt{unique}" * 4},
        "ForgotBody": {"login": f"nobody-{unique}@example.org"},
        "ResetBody": {"token": f"tok{unique}" * 4, "new_password": f"{PASSWORD} renewed"},
        "PasswordChange": {"current_password": PASSWORD, "new_password": f"{PASSWORD} renewed"},
        "ProfileChanges": {"company": "Atelier"},
        "EmailChangeRequest": {"new_email": f"sec-moved-{unique}@example.org", "password": PASSWORD},
        "CodeBody": {"code": "123456"},
        # the holders' contracts run: a closure is refused (409), nothing closes
        "ClosureRequest": {"password": PASSWORD},
        "ContactBody": {"name": "Eva Roux", "roles": ["technical"]},
        "ContactChanges": {"name": "Eva Roux"},
        "Activation": {"token": f"tok{unique}" * 4, "password": PASSWORD},
        "RecoveryRequest": {
            "customer_id": target.customer.customer_id,
            "contact_phone": "0612345678",
            "message": "x",
        },
        "RecoveryApproval": {"new_email": f"sec-recovered-{unique}@example.org"},
        "RecoveryRefusal": {"reason": "Identité non confirmée"},
        "OperatorCustomer": {
            "email": f"sec-imported-{unique}@example.org",
            "first_name": "Ida",
            "last_name": "Imbert",
        },
        # subscriptions
        "SubscriptionChanges": {"auto_renew": False},
        "RenewRequest": {"periods": 1},
        "Cancellation": {"reason": "je déménage", "at": "end_of_period"},
        "OrderRequest": {"items": [{"product_id": "hosting-linux-100", "label": "Autre site"}]},
        "AppointmentRequest": {"start": slot or "", "topic": "Une question", "phone": "0612345678"},
        "SupportMessageRequest": {"topic": "other", "subject": "Une question", "message": "Bonjour"},
        # invoices
        "PaymentRequest": {"method": "card", "card_token": "tok_visa"},
        "MultiPaymentRequest": {
            "invoice_ids": [target.ids["invoice_id"]],
            "method": "card",
            "card_token": "tok_visa",
        },
        "BankAccountBody": {"iban": IBAN, "holder": "Quelqu'un d'autre"},
        "PreferencesChanges": {"paperless": True},
        "CreditNoteRequest": {"amount_cents": 100, "reason": "geste commercial"},
        "RefundMade": {"method": "transfer"},
        # consumption: a reading of a point no meter reads (its item is answered, rejected)
        "ReadingsBatch": {
            "readings": [{"meter_id": "00000000000000", "start": "2026-01-01T00:00:00Z", "value": 1}]
        },
        "ProviderInvoice": provider_invoice(f"SEC-{unique}"),
        "ContractTerms": imported_contract(),
        # the catalog as it is, and one of its products: putting them again changes nothing (and a
        # path naming another product than the body's is refused)
        "CatalogDocument": CATALOG,
        "CatalogProductUpdate": next(
            item for item in CATALOG["products"] if item["product_id"] == CATALOG_PRODUCT
        ),
        # auth, webhooks
        "WebhookEndpointBody": {"url": f"https://hooks-{unique}.example.com/", "event_types": ["order.paid"]},
        "WebhookEndpointChanges": {"description": "Sécurité"},
        # the second factor: codes and passkeys a stranger cannot make (refused as such, 422)
        "SecondFactorLogin": {"mfa_token": f"mfa{unique}" * 4, "code": "123456"},
        "StepUp": {"password": PASSWORD},
        "TotpConfirmation": {"code": "123456", "password": PASSWORD},
        "PasswordConfirmation": {"password": PASSWORD},
        "PasskeyRegistration": {"credential": {"id": unique}, "name": "Clé", "password": PASSWORD},
        "PasskeyChanges": {"name": "Clé renommée"},
        "PasskeyLogin": {"credential": {"id": unique}},
    }
    # routes that read a JSON object validated by the domain rather than a documented model
    by_route: dict[str, dict[str, Any]] = {
        "PUT /subscriptions/{subscription_id}/settings": {"database_name": "site_web", "php_version": "8.3"},
    }
    schema = operation.body_schema
    if schema is not None:
        return by_schema[schema]
    if operation.label in by_route:
        return by_route[operation.label]
    return None


def request(world: World, operation: Operation, path: str, token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if operation.idempotent:
        headers["Idempotency-Key"] = f"sec-{uuid.uuid4()}"
    return world.runtime.request(operation.method, path, headers=headers, json=body)


def said(answer: Any) -> str:
    """An answer in a failure message: its status and the start of its body."""
    return f"{answer.status_code} {answer.text[:200]}"


def altered(value: str) -> str:
    """An id of the same shape that names nothing: its last letter or digit changed."""
    for position in range(len(value) - 1, -1, -1):
        character = value[position]
        if character.isdigit():
            replacement = str((int(character) + 1) % 10)
        elif character.isalpha():
            replacement = "a" if character.lower() != "a" else "b"
            replacement = replacement.upper() if character.isupper() else replacement
        else:
            continue
        return value[:position] + replacement + value[position + 1 :]
    raise ValueError(f"no letter or digit to change in {value!r}")


# links signed anew and times of each request
VOLATILE = {"url", "download_url", "expires_at", "last_used_at"}


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: normalised(item) for name, item in value.items() if name not in VOLATILE}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    return value


def snapshot(world: World, holder: Holder, service: str | None = None) -> dict[str, Any]:
    """What the holder reads on every GET of the documents (of one service's, if given), their
    own ids in the paths."""
    token = world.signer.access(holder.customer.customer_id)
    seen = {}
    for operation in world.operations:
        if operation.method != "GET" or not operation.protected or operation.operator:
            continue
        if service is not None and operation.service != service:
            continue
        if operation.path.endswith(("/appointments/slots", "/catalog")):
            continue  # the advisors' free slots and the offers: not the customer's data
        answer = request(world, operation, path_for(operation, holder), token, None)
        try:
            content: Any = answer.json()
        except ValueError:
            content = answer.text
        seen[operation.label] = (answer.status_code, normalised(content))
    return seen


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{label}: {before[label]} became {after[label]}" for label in before if before[label] != after[label]
    ]


def snapshots(world: World) -> dict[str, dict[str, Any]]:
    return {holder.name: snapshot(world, holder) for holder in world.customers}


def changed_since(world: World, before: dict[str, dict[str, Any]]) -> list[str]:
    """What changed in what each customer reads since `snapshots` gave `before`."""
    now = snapshots(world)
    return [
        f"customer {name}'s data changed: {change}"
        for name in before
        for change in changes(before[name], now[name])
    ]
