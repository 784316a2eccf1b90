"""Opaque secrets handed to customers (refresh tokens, links, codes): CSPRNG-made, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> tuple[str, str]:
    """A URL-safe token of `nbytes` random bytes and the digest to store instead of it."""
    token = secrets.token_urlsafe(nbytes)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code(salt: str) -> tuple[str, str]:
    """A 6-digit code and its salted digest (the salt is the request it belongs to)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    return code, code_digest(code, salt)


def code_digest(code: str, salt: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def seal(secret: str, *, with_token: str) -> str:
    """`secret` encrypted (AES-GCM) under a key derived from `with_token`, which is never stored:
    only whoever holds `with_token` can open it again."""
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key_of(with_token)).encrypt(nonce, secret.encode(), b"guichet-sealed")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, with_token: str) -> str | None:
    """What `seal` sealed with this token, or None (another token, or tampered)."""
    import base64
    import binascii

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_key_of(with_token)).decrypt(raw[:12], raw[12:], b"guichet-sealed").decode()
    except (InvalidTag, ValueError, binascii.Error):
        return None


def _key_of(token: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"guichet-token-seal").derive(
        token.encode()
    )
