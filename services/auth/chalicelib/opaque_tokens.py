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
