"""Bounded ``multipart/form-data`` parsing for screenshot uploads (INGESTION_API.md §5.4).

The whole body is already in memory (at most 10 MiB + 64 KiB). Parts are collected by their
Content-Disposition name; anything unparseable is ``invalid_multipart``, never a crash. Work is
bounded by the input's legitimate shape, not its size: a screenshot has two parts, so parsing stops
at the third (a body of a million empty parts costs microseconds), python-multipart caps each part's
headers (8 lines of at most 4 KiB), and the boundary is 1 to 70 characters (RFC 2046; else the request
is malformed, 400). Callers run
this off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from ingestion.errors import ApiError


@dataclass
class Part:
    """One part of a multipart body as it streams in: its form name and its bytes."""

    name: str | None = None
    chunks: list[bytes] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


MAX_PARTS = 2
MAX_BOUNDARY = 70


class _Abort(Exception):
    """Raised from a parser callback to stop at the first sign of an oversized body."""


def _invalid(detail: str) -> ApiError:
    return ApiError(422, "invalid_multipart", detail)


def _malformed(detail: str) -> ApiError:
    """The request itself is malformed (its ``Content-Type`` has no usable boundary): 400, like bad JSON."""
    return ApiError(400, "malformed_multipart", detail)


def parse_parts(content_type: str, body: bytes) -> list[Part]:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise _malformed("multipart boundary missing")
    if len(boundary) > MAX_BOUNDARY:
        raise _malformed(f"multipart boundary longer than {MAX_BOUNDARY} characters")
    parts: list[Part] = []
    header_field: list[bytes] = []
    header_value: list[bytes] = []
    finished = False

    def on_part_begin() -> None:
        if len(parts) == MAX_PARTS:
            raise _Abort(f"more than {MAX_PARTS} parts")
        parts.append(Part())

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].chunks.append(data[start:end])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.append(data[start:end])

    def on_header_end() -> None:
        name = b"".join(header_field).strip().lower()
        value = b"".join(header_value)
        header_field.clear()
        header_value.clear()
        if name == b"content-disposition":
            kind, options = parse_options_header(value)
            if kind == b"form-data" and b"name" in options:
                parts[-1].name = options[b"name"].decode("utf-8", "replace")

    def on_end() -> None:
        nonlocal finished
        finished = True

    try:
        parser = MultipartParser(boundary, {
            "on_part_begin": on_part_begin, "on_part_data": on_part_data,
            "on_header_field": on_header_field, "on_header_value": on_header_value,
            "on_header_end": on_header_end, "on_end": on_end,
        })
        parser.write(body)
        parser.finalize()
    except _Abort as exc:
        raise _invalid(str(exc)) from None
    except (MultipartParseError, ValueError) as exc:
        raise _invalid(f"malformed multipart body: {type(exc).__name__}") from None
    if not finished:
        raise _invalid("multipart body is truncated")
    return parts


def meta_and_file(parts: list[Part], max_meta: int) -> tuple[bytes, bytes]:
    """Exactly one ``meta`` (<= ``max_meta`` bytes) and one non-empty ``file``, nothing else."""
    names = [p.name for p in parts]
    if sorted(n or "" for n in names) != ["file", "meta"]:
        raise _invalid('expected exactly one "meta" and one "file" part')
    meta = next(p for p in parts if p.name == "meta").data
    file = next(p for p in parts if p.name == "file").data
    if len(meta) > max_meta:
        raise _invalid(f"meta larger than {max_meta} bytes")
    if not file:
        raise _invalid("file part is empty")
    return meta, file
