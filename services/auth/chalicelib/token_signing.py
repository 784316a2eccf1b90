"""The signing key of access tokens and its public half (the JWKS other services verify with).

The private key lives only in Secrets Manager. The first use in a stage creates it (ES256,
P-256) together with the public JWKS secret; concurrent first uses agree on one key because
the secret's creation is the arbiter. Nothing here logs key material.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from guichet_contracts.access_tokens import ALGORITHM, TOKEN_TYPE

from .settings import settings

_lock = threading.Lock()
_signing_key: SigningKey | None = None
_client: Any = None


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Any
    public_jwk: dict[str, Any]


def secrets_client() -> Any:
    """The service's Secrets Manager client (made on first use, once per container)."""
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("secretsmanager")
    return _client


def signing_key() -> SigningKey:
    global _signing_key
    with _lock:
        if _signing_key is None:
            _signing_key = _load_or_create()
            _publish_public_key(_signing_key)
        return _signing_key


def public_jwks() -> dict[str, Any]:
    signing_key()
    secret = secrets_client().get_secret_value(SecretId=settings.jwt_public_keys_secret)
    jwks = json.loads(secret["SecretString"])
    return {"keys": [jwk for jwk in jwks.get("keys", []) if jwk.get("kty") == "EC"]}


def issue_access_token(
    *,
    customer_id: str,
    session_id: str,
    now: datetime,
    amr: list[str] | None = None,
    auth_time: datetime | None = None,
) -> tuple[str, int]:
    """`amr` and `auth_time` (RFC 8176, OpenID Connect): how and when the customer last proved
    who they are in the session; the sensitive routes check them (access_tokens.py)."""
    import jwt

    key = signing_key()
    lifetime = settings.access_token_seconds
    issued = int(now.timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": customer_id,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "nbf": issued,
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "amr": list(amr or ["pwd"]),
        "auth_time": int((auth_time or now).timestamp()),
    }
    token = jwt.encode(
        claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TOKEN_TYPE}
    )
    return token, lifetime


def _load_or_create() -> SigningKey:
    document = secret_made_once(
        settings.jwt_signing_secret,
        "Guichet access-token signing key (ES256). Only the auth service reads it.",
        _new_key_document,
    )
    return _from_document(json.loads(document))


def secret_made_once(name: str, description: str, make: Callable[[], str]) -> str:
    """The value of the secret `name`, made with `make()` by its first use in the stage: the
    secret's creation is the arbiter, so concurrent first uses agree on one value."""
    client = secrets_client()
    try:
        secret = client.get_secret_value(SecretId=name)
    except client.exceptions.ResourceNotFoundException:
        try:
            client.create_secret(Name=name, Description=description, SecretString=make())
        except client.exceptions.ResourceExistsException:
            pass  # another container created it first: use theirs
        secret = client.get_secret_value(SecretId=name)
    return str(secret["SecretString"])


def _new_key_document() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = base64.urlsafe_b64encode(hashlib.sha256(public_der).digest()[:12]).decode().rstrip("=")
    return json.dumps({"kid": kid, "alg": ALGORITHM, "private_key_pem": pem})


def _from_document(document: dict[str, Any]) -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from jwt.algorithms import ECAlgorithm

    private_key = serialization.load_pem_private_key(document["private_key_pem"].encode(), password=None)
    public_jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))  # type: ignore[arg-type]
    public_jwk.update({"kid": document["kid"], "alg": ALGORITHM, "use": "sig"})
    return SigningKey(kid=document["kid"], private_key=private_key, public_jwk=public_jwk)


def _publish_public_key(key: SigningKey) -> None:
    """Make sure the public JWKS lists the signing key (kept with the keys still in use)."""
    client = secrets_client()
    try:
        current = json.loads(
            client.get_secret_value(SecretId=settings.jwt_public_keys_secret)["SecretString"]
        )
    except client.exceptions.ResourceNotFoundException:
        try:
            client.create_secret(
                Name=settings.jwt_public_keys_secret,
                Description="Guichet access-token public keys (JWKS). Every service reads it.",
                SecretString=json.dumps({"keys": [key.public_jwk]}),
            )
            return
        except client.exceptions.ResourceExistsException:
            current = json.loads(
                client.get_secret_value(SecretId=settings.jwt_public_keys_secret)["SecretString"]
            )
    if any(jwk.get("kid") == key.kid for jwk in current.get("keys", [])):
        return
    keys = [*current.get("keys", []), key.public_jwk]
    client.put_secret_value(SecretId=settings.jwt_public_keys_secret, SecretString=json.dumps({"keys": keys}))
