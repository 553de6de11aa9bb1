"""API key format, hashing and management (INGESTION_API.md §4.1, §4.2, §4.5).

Only the 8-character prefix and the SHA-256 of the whole key are stored; the key text exists only in
the return value of :func:`create_key`. Used by the CLI and by the tests (same code path).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

KEY_RE = re.compile(r"wfh_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{32,128}")
_BASE62 = string.ascii_letters + string.digits


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    match = KEY_RE.fullmatch(key)
    return match.group(1) if match else None


def new_key(prefix: str | None = None) -> str:
    prefix = prefix or "".join(secrets.choice(_BASE62) for _ in range(8))
    return f"wfh_{prefix}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class CreatedKey:
    """A new API key: shown once in full, stored only as its hash and prefix."""

    key: str
    prefix: str
    key_id: int
    emp_id: int
    device_id: int
    device: str
    expires_at: datetime | None


def create_key(conn: psycopg.Connection[Any], emp_id: int, device: str,
               expires_days: int | None = None) -> CreatedKey:
    """Create employee and device if absent, then a new key; commits. Returns the key once."""
    if not 1 <= emp_id <= 2_147_483_647:
        raise ValueError("emp_id must be between 1 and 2147483647")
    if not 1 <= len(device) <= 128 or "\x00" in device:
        raise ValueError("device must be 1-128 characters")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise ValueError("expires-days must be between 1 and 3650")
    with conn.transaction():
        conn.execute("INSERT INTO employees (emp_id) VALUES (%s) ON CONFLICT DO NOTHING", (emp_id,))
        row = conn.execute(
            "INSERT INTO devices (emp_id, name) VALUES (%s, %s) ON CONFLICT (emp_id, name)"
            " DO UPDATE SET name = EXCLUDED.name RETURNING device_id",
            (emp_id, device),
        ).fetchone()
        assert row is not None
        device_id = row[0]
        while True:
            key = new_key()
            prefix = key[4:12]
            inserted = conn.execute(
                "INSERT INTO api_keys (prefix, key_hash, device_id, emp_id, expires_at)"
                " VALUES (%s, %s, %s, %s, now() + make_interval(days => %s))"
                " ON CONFLICT (prefix) DO NOTHING RETURNING key_id, expires_at",
                (prefix, key_hash(key), device_id, emp_id, expires_days),
            ).fetchone()
            if inserted is not None:  # else the random prefix already exists: draw again (§4.1)
                break
    return CreatedKey(key, prefix, inserted[0], emp_id, device_id, device, inserted[1])


def revoke_key(conn: psycopg.Connection[Any], prefix: str) -> bool:
    """Set ``revoked_at`` (kept if already set). False when the prefix is unknown."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE prefix = %s RETURNING 1",
            (prefix,),
        ).fetchone()
    return row is not None


def list_keys(conn: psycopg.Connection[Any], emp_id: int | None = None,
              include_revoked: bool = False) -> list[dict[str, Any]]:
    """Key metadata for ``list-keys``; never the digest."""
    rows = conn.execute(
        "SELECT k.prefix, k.emp_id, d.name, k.created_at, k.last_used_at, k.expires_at, k.revoked_at"
        " FROM api_keys k JOIN devices d ON d.device_id = k.device_id"
        " WHERE (%(emp)s::integer IS NULL OR k.emp_id = %(emp)s)"
        " AND (%(all)s OR k.revoked_at IS NULL) ORDER BY k.emp_id, d.name, k.created_at",
        {"emp": emp_id, "all": include_revoked},
    ).fetchall()
    names = ("prefix", "emp_id", "device", "created_at", "last_used_at", "expires_at", "revoked_at")
    return [dict(zip(names, row, strict=True)) for row in rows]
