"""Reading request bodies safely: size caps before parsing, bounded gzip, strict JSON (§3.3, §8.1)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ingestion.errors import ApiError

_CHUNK = 65_536


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def check_json_content_type(request: Request) -> None:
    """Steps 4-5 of §5.3: ``application/json`` (charset utf-8 allowed) and gzip/identity only."""
    raw = request.headers.get("content-type", "")
    parts = [p.strip().lower() for p in raw.split(";")]
    params_ok = all(p in ("charset=utf-8", 'charset="utf-8"', "") for p in parts[1:])
    if parts[0] != "application/json" or not params_ok:
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    if content_encoding(request) not in ("", "identity", "gzip"):
        raise ApiError(415, "unsupported_media_type", "Content-Encoding must be gzip or identity")


def content_encoding(request: Request) -> str:
    return request.headers.get("content-encoding", "").strip().lower()


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it (or its Content-Length) passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
        except ValueError:
            raise ApiError(400, "malformed_json", "invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "malformed_json", "client disconnected") from None
    return b"".join(chunks)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Inflate exactly one gzip member, stopping as soon as the output passes ``limit`` (§8.1)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit:
            raise ApiError(413, "payload_too_large", f"decoded body larger than {limit} bytes")
        if not inflater.eof:
            raise ApiError(400, "malformed_gzip", "truncated gzip member")
    except zlib.error:
        raise ApiError(400, "malformed_gzip", "body is not gzip") from None
    if inflater.unused_data:
        raise ApiError(400, "malformed_gzip", "data after the gzip member")
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard literal {name}")


def parse_json(data: bytes) -> Any:
    """Strict RFC 8259: valid UTF-8, no NaN/Infinity, deep nesting refused rather than crashing."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "body is not valid UTF-8 JSON") from None
