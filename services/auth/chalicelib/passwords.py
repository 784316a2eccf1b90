"""Password hashing (argon2id) and the password policy.

Policy (NIST SP 800-63B): 12 to 256 characters of any Unicode, taken exactly as typed (no
trimming, no normalisation, no composition rules), and refused when it is common or easy to
guess (zxcvbn's dictionaries of common passwords, names and words, shipped in the package).
"""

from __future__ import annotations

import threading
from typing import Any

from guichet_contracts.words import Phrase

from .errors import WeakPassword
from .settings import settings

MIN_LENGTH = 12
MAX_LENGTH = 256
_MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
_ESTIMATED_PREFIX = 72  # zxcvbn refuses longer input; a longer tail only makes it stronger

_hasher: Any = None
_dummy_hash: str | None = None
_lock = threading.Lock()


def _password_hasher() -> Any:
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher, Type

        _hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
    return _hasher


def hash_password(password: str) -> str:
    return str(_password_hasher().hash(password))


def verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_password_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return bool(_password_hasher().check_needs_rehash(password_hash))


def verify_nothing(password: str) -> None:
    """Spend the time a real verification takes, so an unknown login answers like a known one."""
    global _dummy_hash
    with _lock:
        if _dummy_hash is None:
            _dummy_hash = hash_password("an unknown login has no password")
    verify(_dummy_hash, password)


def check_policy(password: str, *, field: str, personal: list[str]) -> None:
    """Raise WeakPassword naming `field` unless the password is long and hard enough to guess."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(fields={field: Phrase("field.string_too_short", min_length=MIN_LENGTH)})
    if len(password) > MAX_LENGTH:
        raise WeakPassword(fields={field: Phrase("field.string_too_long", max_length=MAX_LENGTH)})
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=[p for p in personal if p])
    if estimate["score"] < _MIN_SCORE:
        raise WeakPassword(fields={field: Phrase("field.guessable")})
