"""argon2id password hashes and one-time tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("wfh-ingest dummy password for unknown accounts")


class PasswordError(ValueError):
    """A new password that does not meet the rules."""


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise PasswordError(f"password must have at most {MAX_PASSWORD} characters")
    if any(ord(ch) < 32 for ch in password):
        raise PasswordError("password must not contain control characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_new_password(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check (``stored`` None: unknown or unset)."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD]) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
