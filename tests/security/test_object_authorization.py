"""Object-level authorization: no customer reaches another's objects by id, on any route.

Every operation of the services' OpenAPI documents with an id in its path is tried with every
method it has, by each of the three customers on each other's ids (six pairs), with a body the
route would accept: each answer must be a 404 (or 403) error body identical in status and code
to the answer for an id that does not exist, holding nothing of the other customer. Afterwards
what each customer reads of their own objects is what it was. Operator routes take a customer id
and an object id: naming one customer and another's object is a 404 there too.

A path parameter the suite has no id for fails the test: a new route must be taught in world.py.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest

from .world import (
    Holder,
    Operation,
    World,
    altered,
    changed_since,
    path_for,
    request,
    said,
    snapshots,
    valid_body,
)

# the kinds of probe counted in the scorecard (world.tally)
CROSS_CUSTOMER = "cross-customer requests by id (every route with an id, every method)"
OPERATOR_CROSS = "operator requests naming one customer and another's ids"
IDS_IN_BODY = "payments naming another customer's invoice in the body"
CURSORS = "list pages asked with another customer's cursor"
UNDOCUMENTED = "undocumented methods on paths with another customer's ids"


def customer_id_routes(world: World) -> list[Operation]:
    return [operation for operation in world.operations if operation.parameters and not operation.operator]


def operator_routes(world: World) -> list[Operation]:
    """The operator routes acting on one customer's objects (the path names the customer); the
    auth service's, keyed by the provider's own ids, name none."""
    return [
        operation
        for operation in world.operations
        if operation.operator and "customer_id" in operation.parameters
    ]


def secrets_of(holder: Holder) -> list[str]:
    """What another customer must never read: the holder's ids (but the enum `kind`) and email."""
    return [value for name, value in holder.ids.items() if name != "kind"] + [holder.customer.email]


def refusal_problem(answer: Any, victim: Holder) -> str | None:
    """Why an answer is not a clean refusal (403/404, the error body, nothing of the victim's)."""
    if answer.status_code not in (403, 404):
        return f"answered {answer.status_code}: {answer.text[:300]}"
    try:
        error = answer.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        return f"answered {answer.status_code} without the error body of API.md: {answer.text[:300]}"
    leaked = [secret for secret in secrets_of(victim) if secret in answer.text]
    return f"the refusal names the other customer's {leaked}" if leaked else None


def test_every_route_with_an_id_is_taught_to_the_suite(world: World) -> None:
    holder = world.customers[0]
    unknown = sorted(
        f"{operation.label}: {{{name}}}"
        for operation in world.operations
        for name in operation.parameters
        if name not in holder.ids
    )
    assert not unknown, (
        "routes with a path parameter the security suite cannot fill (give it an id in "
        f"tests/security/world.py): {unknown}"
    )
    assert customer_id_routes(world) and operator_routes(world)


def test_each_customer_reads_their_own_objects(world: World) -> None:
    """The ids the suite fills in are real: their owner reads each of them (200)."""
    failures = []
    for holder in world.customers:
        token = world.signer.access(holder.customer.customer_id)
        for operation in customer_id_routes(world):
            if operation.method != "GET":
                continue
            answer = request(world, operation, path_for(operation, holder), token, None)
            if answer.status_code != 200:
                failures.append(
                    f"{operation.label} as customer {holder.name} on their own ids: {said(answer)}"
                )
    assert not failures, "\n".join(failures)


def test_no_customer_reaches_another_s_objects_by_id(world: World) -> None:
    routes = customer_id_routes(world)
    before = snapshots(world)
    failures = []
    for operation in routes:
        for attacker, victim in permutations(world.customers, 2):
            token = world.signer.access(attacker.customer.customer_id)
            case = f"{operation.label} as customer {attacker.name} on customer {victim.name}'s ids"
            path = path_for(operation, victim)
            answer = request(world, operation, path, token, valid_body(operation, victim))
            problem = refusal_problem(answer, victim)
            if problem:
                world.tally.record(CROSS_CUSTOMER, held=False)
                failures.append(f"{case} ({path}): {problem}")
                continue
            missing_ids = {name: altered(victim.ids[name]) for name in operation.parameters if name != "kind"}
            missing = request(
                world,
                operation,
                path_for(operation, victim, **missing_ids),
                token,
                valid_body(operation, victim),
            )
            leak = (missing.status_code, missing.json().get("error", {}).get("code")) != (
                answer.status_code,
                answer.json()["error"]["code"],
            )
            world.tally.record(CROSS_CUSTOMER, held=not leak)
            if leak:
                failures.append(
                    f"{case}: answered {answer.status_code} {answer.json()['error']['code']}, but "
                    f"{said(missing)} for ids that do not exist (an existence leak)"
                )
    failures += changed_since(world, before)
    assert not failures, "\n".join(failures)


def test_an_operator_naming_one_customer_reaches_nothing_of_another(world: World) -> None:
    token = world.signer.operator()
    before = snapshots(world)
    failures = []
    for operation in operator_routes(world):
        for named, owner in permutations(world.customers, 2):
            path = path_for(operation, owner, customer_id=named.customer.customer_id)
            answer = request(world, operation, path, token, valid_body(operation, owner))
            problem = refusal_problem(answer, owner)
            world.tally.record(OPERATOR_CROSS, held=not problem and answer.status_code == 404)
            if problem or answer.status_code != 404:
                failures.append(
                    f"{operation.label} with an operator token naming customer {named.name} and customer "
                    f"{owner.name}'s ids ({path}): {problem or answer.status_code}"
                )
    failures += changed_since(world, before)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", ["in_20261204_7e47142d38", "aa600820-GU", "5618b06ac40440aa", "rf_in_x_00"])
def test_an_altered_id_keeps_its_shape(value: str) -> None:
    changed = altered(value)
    assert changed != value and len(changed) == len(value)
    assert [character.isdigit() for character in changed] == [character.isdigit() for character in value]


def test_ids_in_a_body_or_a_cursor_stay_with_their_owner(world: World) -> None:
    """The other ways an id reaches a route: invoice ids in a payment's body, and the cursor of
    a list's next page (a DynamoDB key, base64): another customer's are refused, never served."""
    failures = []
    before = snapshots(world)
    for attacker, victim in permutations(world.customers, 2):
        token = {"Authorization": f"Bearer {world.signer.access(attacker.customer.customer_id)}"}
        paid = world.runtime.post(
            "/invoices/payments",
            json={"invoice_ids": [victim.ids["invoice_id"]], "method": "card", "card_token": "tok_visa"},
            headers={**token, "Idempotency-Key": f"sec-{altered(victim.ids['invoice_id'])}-{attacker.name}"},
        )
        problem = refusal_problem(paid, victim)
        world.tally.record(IDS_IN_BODY, held=problem is None)
        if problem:
            failures.append(
                f"POST /invoices/payments as {attacker.name} for {victim.name}'s invoice: {problem}"
            )
    paged = []
    victim, attacker = world.customers[0], world.customers[1]
    for operation in world.operations:
        cursors = [
            p for p in operation.spec.get("parameters", []) if p["in"] == "query" and p["name"] == "cursor"
        ]
        if operation.method != "GET" or operation.operator or not cursors:
            continue
        token = {"Authorization": f"Bearer {world.signer.access(victim.customer.customer_id)}"}
        first = world.runtime.get(operation.path, params={"limit": 1}, headers=token).json()
        if not first.get("next_cursor"):
            continue
        paged.append(operation.label)
        stolen = world.runtime.get(
            operation.path,
            params={"limit": 1, "cursor": first["next_cursor"]},
            headers={"Authorization": f"Bearer {world.signer.access(attacker.customer.customer_id)}"},
        )
        refused = stolen.status_code == 422 and not any(
            secret in stolen.text for secret in secrets_of(victim)
        )
        world.tally.record(CURSORS, held=refused)
        if not refused:
            failures.append(
                f"{operation.label} as {attacker.name} with {victim.name}'s cursor: {said(stolen)}"
            )
    assert len(paged) >= 2, f"customer A has a second page on too few lists to try cursors: {paged}"
    failures += changed_since(world, before)
    assert not failures, "\n".join(failures)


def test_no_undocumented_method_serves_an_id(world: World) -> None:
    """The methods a path with ids does not document answer 405 (or 404/403), never data: a
    route the documents forgot cannot serve another customer's object either."""
    attacker, victim = world.customers[1], world.customers[0]
    token = world.signer.access(attacker.customer.customer_id)
    documented: dict[str, set[str]] = {}
    for operation in world.operations:
        if operation.parameters:
            documented.setdefault(operation.path, set()).add(operation.method)
    failures = []
    for path, methods in documented.items():
        some = next(operation for operation in world.operations if operation.path == path)
        filled = path_for(some, victim)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            answer = world.runtime.request(
                method, filled, headers={"Authorization": f"Bearer {token}"}, json={}
            )
            refused = answer.status_code in (403, 404, 405) and not any(
                s in answer.text for s in secrets_of(victim)
            )
            world.tally.record(UNDOCUMENTED, held=refused)
            if not refused:
                case = f"{method} {path} (not documented) as {attacker.name} on {victim.name}'s ids"
                failures.append(f"{case}: {said(answer)}")
    assert not failures, "\n".join(failures)
