"""Mass assignment: fields a caller must never set are refused or ignored on every write route.

Every POST, PUT and PATCH of the services' OpenAPI documents gets a body it would accept, plus
fields naming another owner, a status, an amount, a role: customer A on their own ids (an
operator on operator routes, nobody on public routes). The answer must be a 422 naming one of
those fields, and then nothing A or B reads has changed; or, where a route takes no body, a
success that stored none of them (none of their values appears in what A or B reads).
"""

from __future__ import annotations

from typing import Any

from .world import Holder, Operation, World, changes, path_for, request, said, snapshot, valid_body

DISTINCT = 987_654_321  # an amount no object of the suite holds
ATTEMPTS = "mass-assignment attempts (a write route's body with owners, states, amounts, roles added)"


def injected(victim: Holder) -> dict[str, Any]:
    """What an attacker adds to a body: other owners, states, amounts and privileges."""
    return {
        "customer_id": victim.customer.customer_id,
        "owner_id": victim.customer.customer_id,
        "owner": victim.customer.customer_id,
        "sub": victim.customer.customer_id,
        "subscription_id": victim.ids["subscription_id"],
        "invoice_id": victim.ids["invoice_id"],
        "order_id": victim.ids["order_id"],
        "status": "paid",
        "paid": True,
        "verified": True,
        "email_verified": True,
        "role": "admin",
        "is_admin": True,
        "scope": "invoices:write subscriptions:write",
        "total_cents": DISTINCT,
        "amount_due_cents": DISTINCT,
        "price_cents": DISTINCT,
        "balance_cents": DISTINCT,
        "currency": "XTS",
        "created_at": "2001-01-01T00:00:00Z",
    }


def write_routes(world: World) -> list[Operation]:
    return [operation for operation in world.operations if operation.method in ("POST", "PUT", "PATCH")]


def planted(seen: dict[str, Any], victim: Holder) -> set[str]:
    """Values of `injected` (the distinctive ones) found in what a customer reads."""
    text = repr(seen)
    values = {str(DISTINCT), "XTS", "2001-01-01T00:00:00Z", victim.customer.customer_id}
    return {value for value in values if value in text}


def test_no_write_route_takes_fields_a_caller_must_not_set(world: World) -> None:
    owner, victim = world.customers[0], world.customers[1]
    owner_token = world.signer.access(owner.customer.customer_id)
    slot = world.runtime.get(
        "/subscriptions/appointments/slots", headers={"Authorization": f"Bearer {owner_token}"}
    )
    assert slot.status_code == 200 and slot.json()["items"], said(slot)
    victim_before = snapshot(world, victim)
    failures = []
    # what a refused write could have changed at once: its own service's data, as last read
    last_read: dict[str, dict[str, Any]] = {}
    for operation in write_routes(world):
        before = last_read.get(operation.service) or snapshot(world, owner, operation.service)
        token = (
            world.signer.operator() if operation.operator else owner_token if operation.protected else None
        )
        body = valid_body(operation, owner, slot.json()["items"][-1]["start"])
        extras = {name: value for name, value in injected(victim).items() if name not in (body or {})}
        answer = request(world, operation, path_for(operation, owner), token, {**(body or {}), **extras})
        after = last_read[operation.service] = snapshot(world, owner, operation.service)
        who = "an operator" if operation.operator else "customer A" if operation.protected else "nobody"
        case = f"{operation.label} as {who} with {sorted(extras)}"
        failed = len(failures)
        if answer.status_code < 300:
            stored = planted(after, victim) - planted(before, victim)
            echoed = planted({"answer": answer.text}, victim)
            if stored or echoed:
                failures.append(f"{case}: {said(answer)}; applied {sorted(stored | echoed)}")
        elif answer.status_code < 500:
            error = answer.json().get("error")  # POST /auth/oauth/token's is RFC 6749's: a string
            fields = (error.get("fields") if isinstance(error, dict) else None) or {}
            if body is not None and not (answer.status_code == 422 and set(fields) & set(extras)):
                failures.append(
                    f"{case}: a body it accepts with fields added is not refused (422): {said(answer)}"
                )
            failures += [f"{case}: refused, yet {change}" for change in changes(before, after)]
        else:
            failures.append(f"{case}: {said(answer)}")
        world.tally.record(ATTEMPTS, held=len(failures) == failed)
    failures += [
        f"customer B's data changed: {change}" for change in changes(victim_before, snapshot(world, victim))
    ]
    assert not failures, "\n".join(failures)
