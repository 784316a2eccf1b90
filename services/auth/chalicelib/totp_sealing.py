"""The key the authenticator apps' secrets are sealed with before the table keeps them
(AES-256-GCM, the customer id as associated data: a sealed secret copied to another account does
not open there). The key lives only in Secrets Manager (`AUTH_TOTP_KEY_SECRET`); the first use in
a stage makes it, concurrent first uses agreeing on one because the secret's creation is the
arbiter, as for the signing key (token_signing.py). Nothing here logs the key or a secret.
"""

from __future__ import annotations

import base64
import os
import threading

from .settings import settings
from .token_signing import secret_made_once

_PREFIX = "v1:"
_lock = threading.Lock()
_key: bytes | None = None


def _load_or_create() -> bytes:
    made = secret_made_once(
        settings.totp_key_secret,
        "Guichet: the key sealing authenticator-app secrets. Only auth reads it.",
        lambda: base64.b64encode(os.urandom(32)).decode(),
    )
    return base64.b64decode(made)


def _the_key() -> bytes:
    global _key
    with _lock:
        if _key is None:
            _key = _load_or_create()
        return _key


def seal(secret: str, *, customer_id: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_the_key()).encrypt(nonce, secret.encode(), customer_id.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, customer_id: str) -> str:
    """The secret `seal` sealed for this customer (an error if it was for another, or altered)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not sealed.startswith(_PREFIX):
        raise ValueError("not a sealed secret")
    raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :].encode())
    return AESGCM(_the_key()).decrypt(raw[:12], raw[12:], customer_id.encode()).decode()
