"""Opaque download cursors (INGESTION_API.md §5.7): a route tag and a change position, with check bytes.

URL-safe base64 without padding of 13 bytes: one tag byte (``W`` weeks, ``T`` tasks), the change position
as 8 bytes big-endian, and the first 4 bytes of SHA-256 over the preceding 9. The check bytes make junk,
truncated or hand-edited cursors and cursors of the other route fail loudly (400) instead of silently
restarting or skipping data. No secret is involved: a cursor grants nothing, the employee comes from the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct

from ingestion.errors import ApiError

TAGS = {"weeks": b"W", "tasks": b"T"}
_SALT = b"wfh-worklog-cursor:"
_FORM = re.compile(r"[A-Za-z0-9_-]{18}")
_POSITION = struct.Struct(">Q")


def _check(body: bytes) -> bytes:
    return hashlib.sha256(_SALT + body).digest()[:4]


def encode(route: str, position: int) -> str:
    """The cursor of ``route`` at change position ``position``."""
    body = TAGS[route] + _POSITION.pack(position)
    return base64.urlsafe_b64encode(body + _check(body)).decode("ascii").rstrip("=")


def invalid(detail: str) -> ApiError:
    return ApiError(400, "invalid_cursor", detail)


def decode(route: str, cursor: str) -> int:
    """The change position in ``cursor``, or 400 ``invalid_cursor`` for anything not made by :func:`encode`
    for this route. (Whether the position was ever issued is checked against the database.)"""
    if _FORM.fullmatch(cursor) is None:
        raise invalid("since is not a cursor returned by this route")
    try:
        raw = base64.urlsafe_b64decode(cursor + "==")
    except (binascii.Error, ValueError):
        raise invalid("since is not a cursor returned by this route") from None
    body, check = raw[:9], raw[9:]
    if len(raw) != 13 or check != _check(body):
        raise invalid("since is not a cursor returned by this route")
    if body[:1] != TAGS[route]:
        raise invalid(f"since is a cursor of another route, not of /api/v1/me/{route}")
    position: int = _POSITION.unpack(body[1:])[0]
    return position
