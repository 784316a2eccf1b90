"""Forged, stale and misused tokens are refused on every protected route of every service.

Each case is a token with exactly one thing wrong (signed with the runtime's own key otherwise,
for customer A on a customer route, for an operator on an operator route), sent to every
protected operation of the OpenAPI documents with A's ids and a body the route would accept:
each answer must be a 401 with the error body of API.md. A control first shows that the same
signer's correct tokens are accepted, so each 401 is the one defect's doing.

The protected operations are read from the four OpenAPI documents the services serve (every
route of each app, as their own tests hold), and an operation is a customer's or an operator's
by the security it declares: a new route is tried as soon as it is documented, and one that
declares neither is one of the few public routes `PUBLIC` names, or the suite fails. Among the
misused tokens, an operator token is refused on every customer route (one signed like the
auth service's, and one a machine client got from POST /auth/oauth/token), and a customer's
access token on every operator route.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from typing import Any

from .world import SERVICES, Operation, World, altered, path_for, request, said, valid_body

MAX_ACCESS_LIFETIME = 900
MAX_OPERATOR_LIFETIME = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token made by hand: PyJWT refuses an asymmetric key as HMAC secret, attackers do not."""
    signing_input = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())])
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def forgeries(world: World, *, operator: bool) -> dict[str, Callable[[], str]]:
    """name -> a token maker, each with one defect, for customer A (or an operator)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    signer = world.signer
    customer = world.customers[0].customer
    other = world.customers[1].customer
    sub = None if operator else customer.customer_id
    lifetime = MAX_OPERATOR_LIFETIME if operator else MAX_ACCESS_LIFETIME
    stranger = ec.generate_private_key(ec.SECP256R1())
    stranger_jwk = {
        **json.loads(ECAlgorithm.to_jwk(stranger.public_key())),
        "kid": "stranger",
        "alg": "ES256",
    }
    public_jwk = json.dumps(
        {**json.loads(ECAlgorithm.to_jwk(signer.key.public_key())), "kid": signer.kid, "alg": "ES256"}
    ).encode()

    def claims(**overrides: Any) -> dict[str, Any]:
        return signer.claims(sub, operator=operator, **overrides)

    def header(**changes: Any) -> dict[str, Any]:
        return {"alg": "ES256", "typ": "at+jwt", "kid": signer.kid, **changes}

    def tampered() -> str:
        head, _, signature = signer.sign(claims()).split(".")
        changed = {**claims(), "sub": "ops:someone-else" if operator else other.customer_id}
        return ".".join([head, _b64(json.dumps(changed).encode()), signature])

    def now() -> int:
        return signer.now()

    def over_the_cap() -> str:
        # one reading of the clock for both: claims() reading it again for `iat` a second later
        # (a request to the runtime on a loaded machine) made the lifetime the cap exactly, accepted
        issued = now()
        return signer.sign(claims(iat=issued, nbf=issued, exp=issued + lifetime + 1))

    cases: dict[str, Callable[[], str]] = {
        "alg none": lambda: unsigned(header(alg="none"), claims()),
        "alg NONE": lambda: unsigned(header(alg="NONE"), claims()),
        "signature removed": lambda: signer.sign(claims()).rsplit(".", 1)[0] + ".",
        "claims changed after signing": tampered,
        "HS256 signed with the public key (PEM)": lambda: hs256(
            header(alg="HS256"), claims(), signer.public_pem
        ),
        "HS256 signed with the public key (JWK)": lambda: hs256(header(alg="HS256"), claims(), public_jwk),
        "another key under the real kid": lambda: signer.sign(claims(), key=stranger),
        "unknown kid, the real key": lambda: signer.sign(claims(), kid="unknown-kid"),
        "unknown kid, another key": lambda: signer.sign(claims(), key=stranger, kid="stranger"),
        "no kid": lambda: signer.sign(claims(), kid=None),
        "jku to another key set": lambda: signer.sign(
            claims(), key=stranger, kid="stranger", jku="http://127.0.0.1:9/jwks.json"
        ),
        "jku with the real kid": lambda: signer.sign(
            claims(), key=stranger, jku="http://127.0.0.1:9/jwks.json"
        ),
        "embedded jwk": lambda: signer.sign(claims(), key=stranger, kid=None, jwk=stranger_jwk),
        "embedded jwk with the real kid": lambda: signer.sign(claims(), key=stranger, jwk=stranger_jwk),
        "typ JWT": lambda: signer.sign(claims(), typ="JWT"),
        "expired": lambda: signer.sign(claims(iat=now() - 1000, nbf=now() - 1000, exp=now() - 100)),
        "wrong audience": lambda: signer.sign(claims(aud="someone-else")),
        "wrong issuer": lambda: signer.sign(claims(iss="https://attacker.example/auth")),
        "lifetime over the cap": over_the_cap,
        "ten-year lifetime": lambda: signer.sign(claims(exp=now() + 10 * 365 * 86400)),
        "iat in the future": lambda: signer.sign(claims(iat=now() + 600, exp=now() + 600 + 300)),
        "no exp": lambda: signer.sign({name: value for name, value in claims().items() if name != "exp"}),
        "no iat": lambda: signer.sign({name: value for name, value in claims().items() if name != "iat"}),
        "not a JWT": lambda: "not-a-token",
    }
    if operator:
        cases["customer A's access token"] = lambda: signer.access(customer.customer_id)
        cases["a refresh token"] = lambda: world.refresh_token
        cases["operator claims with a session id"] = lambda: signer.sign(claims(sid="a-session"))
    else:
        cases["a refresh token as access token"] = lambda: world.refresh_token
        cases["an operator token"] = lambda: signer.operator()
        cases["a machine client's token of POST /auth/oauth/token"] = world.machine_client.token
        cases["no session id"] = lambda: signer.sign(claims(sid=None))
    return cases


# the operations that take no bearer token: anyone may call them (a machine client
# authenticates at POST /auth/oauth/token with its own secret, Stripe at its webhook by signature)
PUBLIC = {
    *(f"GET /{service}/{path}" for service in SERVICES for path in ("health", "openapi.json")),
    "POST /auth/register",
    "POST /auth/verify-email",
    "POST /auth/login",
    "POST /auth/refresh",
    "POST /auth/logout",
    "GET /auth/.well-known/jwks.json",
    "POST /auth/password/forgot",
    "POST /auth/password/reset",
    "POST /auth/activate",  # the invitation's mailed token (an imported customer's first password)
    "POST /auth/email-change/refuse",
    "POST /auth/sessions/close",  # the token of a new-device login notice (login_notices.py)
    "POST /auth/recovery-requests",  # a customer whose email is out of reach (recovery.py)
    "POST /auth/login/second-factor",  # a login's mfa_token and a code or passkey (second_factor.py)
    "POST /auth/login/passkey/options",  # a login by passkey alone (passkeys.py)
    "POST /auth/login/passkey",
    "POST /auth/oauth/token",
    "POST /invoices/payments/stripe/webhook",
}


def protected(world: World) -> list[Operation]:
    return [operation for operation in world.operations if operation.protected]


def test_every_documented_route_is_a_customer_s_an_operator_s_or_named_public(world: World) -> None:
    """No route escapes the suite: each declares a customer's or an operator's token, the
    operator routes (and they alone) are under /<service>/operator/, and the rest are PUBLIC."""
    public = {operation.label for operation in world.operations if not operation.protected}
    misplaced = [
        operation.label
        for operation in protected(world)
        if operation.operator != operation.path.startswith(f"/{operation.service}/operator/")
    ]

    assert public - PUBLIC == set(), "routes without a bearer token that the suite does not know"
    assert PUBLIC - public == set(), "routes named public that the documents protect or lack"
    assert not misplaced, f"operator security off /operator/ paths, or the reverse: {misplaced}"


def _is_error_body(answer: Any) -> bool:
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    )


def accepted_as_operator(operation: Any, status: int) -> bool:
    """What a correct operator token gets: on a route naming a customer, 404 for ids that name
    nothing (authenticated, then not found); on the auth service's routes keyed by the provider's
    own ids (a PUT makes the customer a new id names, a file sent as JSON is a 415) anything but
    401, 403 or a 5xx."""
    if "customer_id" in operation.parameters:
        return status == 404
    return status not in (401, 403) and status < 500


def test_a_lifetime_over_the_cap_stays_over_it_while_the_clock_ticks(world: World, monkeypatch: Any) -> None:
    # the runtime's clock read a second later at each reading, as on a loaded machine
    readings = itertools.count(world.signer.now())
    monkeypatch.setattr(world.signer, "now", lambda: next(readings))
    for operator, cap in ((False, MAX_ACCESS_LIFETIME), (True, MAX_OPERATOR_LIFETIME)):
        token = forgeries(world, operator=operator)["lifetime over the cap"]()
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["exp"] - claims["iat"] == cap + 1, claims


def test_the_signer_s_correct_tokens_are_accepted(world: World) -> None:
    """The control: every customer GET answers A's correctly signed token, and every operator
    route the operator's (404 for ids that name nothing: authenticated, then not found)."""
    holder = world.customers[0]
    failures = []
    for operation in protected(world):
        if operation.operator:
            missing = {name: altered(holder.ids[name]) for name in operation.parameters}
            path = path_for(operation, holder, **missing)
            for kind, token in (
                ("a correct operator token", world.signer.operator()),
                ("a machine client's token", world.machine_client.token()),
            ):
                answer = request(world, operation, path, token, valid_body(operation, holder))
                if not accepted_as_operator(operation, answer.status_code):
                    failures.append(f"{operation.label} with {kind}: {said(answer)}")
        elif operation.method == "GET":
            token = world.signer.access(holder.customer.customer_id)
            answer = request(world, operation, path_for(operation, holder), token, None)
            if answer.status_code == 401:
                failures.append(f"{operation.label} with a correct access token of customer A: 401")
    assert not failures, "\n".join(failures)


def test_every_forged_or_misused_token_is_refused_everywhere(world: World) -> None:
    holder = world.customers[0]
    customer_cases = forgeries(world, operator=False)
    operator_cases = forgeries(world, operator=True)
    failures = []
    for operation in protected(world):
        cases = operator_cases if operation.operator else customer_cases
        path = path_for(operation, holder)
        for name, make in cases.items():
            answer = request(world, operation, path, make(), valid_body(operation, holder))
            refused = answer.status_code == 401 and _is_error_body(answer)
            world.tally.record(f"forged or misused tokens on /{operation.service}", held=refused)
            if not refused:
                kind = "operator route" if operation.operator else "customer route"
                failures.append(f"{operation.label} ({kind}) with a token '{name}': {said(answer)}")
        for name, headers in {
            "no Authorization header": {},
            "Basic scheme": {"Authorization": "Basic YTpi"},
            "Bearer and nothing": {"Authorization": "Bearer "},
        }.items():
            answer = world.runtime.request(
                operation.method, path, headers=headers, json=valid_body(operation, holder)
            )
            refused = answer.status_code == 401 and _is_error_body(answer)
            world.tally.record("requests with no or a malformed Authorization header", held=refused)
            if not refused:
                failures.append(f"{operation.label} with '{name}': {said(answer)}")
    assert not failures, "\n".join(failures)
