"""Per-request key verification (INGESTION_API.md §4.3) and the identity it binds the request to."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from starlette.requests import Request

from ingestion.db import AsyncConn, Database
from ingestion.errors import ApiError, unauthorized
from ingestion.keycache import KeyCache
from ingestion.keys import key_hash, parse_prefix

log = logging.getLogger("ingestion.auth")

_TOUCH_AFTER = timedelta(seconds=60)

# Looked up by the digest of the whole key, never by the prefix: an unknown prefix and a known
# prefix with a wrong secret then take exactly the same path (one index miss, no row), so response
# time cannot tell whether a prefix exists. The prefix is part of the hashed key, so a digest match
# implies a prefix match (index ``api_keys_key_hash_key``, migration 0002).
_LOOKUP = (
    "SELECT k.key_id, k.emp_id, k.device_id, d.name, k.revoked_at,"
    " k.expires_at IS NOT NULL AND k.expires_at <= now(), k.last_used_at, now(), k.expires_at"
    " FROM api_keys k JOIN devices d ON d.device_id = k.device_id WHERE k.key_hash = %s"
)
_TOUCH = "UPDATE api_keys SET last_used_at = now() WHERE key_id = %s"


@dataclass(frozen=True)
class Identity:
    """Who a valid device key speaks for: the key, its employee and its device (never taken from the body)."""

    key_id: int
    prefix: str
    emp_id: int
    device_id: int
    device: str


def _presented(request: Request) -> tuple[str, str]:
    """The key of the request and its prefix; the one 401 when it is missing or malformed."""
    # HTTP strips leading whitespace from a header value; trailing whitespace is treated alike.
    key = request.headers.get("x-api-key", "").strip(" \t")
    prefix = parse_prefix(key) if key else None
    state = request.scope.setdefault("state", {})
    if prefix is None:
        _deny(request, "missing or malformed key", None)
    state["key_prefix"] = prefix
    return key, prefix


async def authenticate(request: Request, conn: AsyncConn, cache: KeyCache[Identity] | None = None) -> Identity:
    """The key's identity looked up on ``conn``, or the one 401 for every failure (the cause goes to
    the log only). A verified key goes into ``cache``."""
    key, prefix = _presented(request)
    return await _lookup(request, conn, prefix, key_hash(key), cache)


async def verify(request: Request, db: Database, cache: KeyCache[Identity]) -> Identity:
    """Like :func:`authenticate`, but a key verified less than ``cache.ttl`` seconds ago is not looked
    up again (and then no pooled connection is taken at all)."""
    key, prefix = _presented(request)
    digest = key_hash(key)
    identity = cache.get(digest)
    if identity is None:
        async with db.connection() as conn:
            identity = await _lookup(request, conn, prefix, digest, cache)
    else:
        request.scope["state"]["device_id"] = identity.device_id
    return identity


async def _lookup(request: Request, conn: AsyncConn, prefix: str, digest: bytes,
                  cache: KeyCache[Identity] | None) -> Identity:
    row = await (await conn.execute(_LOOKUP, (digest,))).fetchone()
    if row is None:
        _deny(request, "unknown prefix or wrong secret", prefix)
    key_id, emp_id, device_id, device, revoked_at, expired, last_used, now, expires_at = row
    if revoked_at is not None:
        _deny(request, "revoked", prefix)
    if expired:
        _deny(request, "expired", prefix)
    request.scope["state"]["device_id"] = device_id
    await _touch(conn, key_id, last_used, now)
    identity = Identity(key_id, prefix, emp_id, device_id, device)
    if cache is not None:
        cache.put(digest, identity, expires_at)
    return identity


async def _touch(conn: AsyncConn, key_id: int, last_used: datetime | None, now: datetime) -> None:
    """Refresh ``last_used_at`` at most once a minute, outside any batch; failures are only logged."""
    if last_used is not None and now - last_used < _TOUCH_AFTER:
        return
    try:
        await conn.execute(_TOUCH, (key_id,))
    except Exception as exc:  # noqa: BLE001 - the contract says log and ignore
        log.warning("could not update last_used_at for key %s: %s", key_id, type(exc).__name__)


def _deny(request: Request, cause: str, prefix: str | None) -> NoReturn:
    log.info("unauthorized request_id=%s prefix=%s cause=%s",
             request.scope.get("state", {}).get("request_id"), prefix or "-", cause)
    raise unauthorized()


def check_emp_ids(records: list[object], emp_id: int) -> None:
    """§4.4: every ``emp_id`` present must be the JSON integer equal to the key's employee."""
    for index, record in enumerate(records):
        if type(record) is dict and "emp_id" in record:
            value = record["emp_id"]
            if type(value) is not int or value != emp_id:
                raise ApiError(403, "forbidden", f"records[{index}].emp_id does not match the API key")
