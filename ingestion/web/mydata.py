"""My data: everything the server stores about the logged-in employee, and all of it as one JSON
download (data portability). The employee's own day and week pages are the very pages their
manager sees, so nothing is shown to the employer that the employee cannot see."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import IO, Any
from uuid import UUID

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.db import AsyncConn
from ingestion.errors import ApiError
from ingestion.reports import queries
from ingestion.web.guard import page
from ingestion.web.render import render
from ingestion.web.session import page_headers

router = APIRouter()
# Every table holding the employee's data, with the column that orders it.
TABLES = {"devices": "created_at", "api_keys": "created_at", "heartbeats": "started_at", "timeline": "started_at",
          "website_usage": "date", "productivity": "date", "wellness": "date", "screenshots": "captured_at",
          # the weeks and tasks the employee logged in the app, and every version of them (issue 18)
          "worklog_weeks": "first_seen_at", "worklog_week_aliases": "created_at", "worklog_tasks": "received_at",
          "worklog_history": "received_at"}
_PRIVATE_COLUMNS = {"api_keys": ("key_hash",)}  # never exported: the digest of a secret
EXPORT_IN_MEMORY = 8 * 1024 * 1024  # a larger export goes on to a temporary file
SEND_CHUNK = 256 * 1024


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


async def _summary(conn: AsyncConn, emp_id: int) -> list[dict[str, Any]]:
    out = []
    for table, order in TABLES.items():
        row = await (await conn.execute(
            f"SELECT count(*), min({order}), max({order}) FROM {table} WHERE emp_id = %s", (emp_id,))).fetchone()
        assert row is not None
        out.append({"table": table, "rows": row[0], "first": row[1], "last": row[2]})
    return out


@page(router, "/me")
async def my_data(request: Request, found: Viewer) -> Response:
    summary: list[dict[str, Any]] = []
    devices: list[Any] = []
    team = None
    tz = None
    async with app_state(request).db.connection() as conn:
        if found.emp_id is not None:
            tz = await queries.employee_zone(conn, found.emp_id)
            summary = await _summary(conn, found.emp_id)
            devices = await (await conn.execute(
                "SELECT d.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at FROM devices d"
                " LEFT JOIN api_keys k ON k.device_id = d.device_id WHERE d.emp_id = %s ORDER BY d.name, k.created_at",
                (found.emp_id,))).fetchall()
            row = await (await conn.execute("SELECT t.name FROM employees e JOIN teams t USING (team_id)"
                                            " WHERE e.emp_id = %s", (found.emp_id,))).fetchone()
            team = row[0] if row else None
    return render(request, "me.html", summary=summary, devices=devices, team=team, tz=tz)


async def _write_export(conn: AsyncConn, found: Viewer, out: IO[bytes]) -> None:
    emp_id = found.emp_id
    head = {"exported_at": datetime.now(UTC).isoformat(),
            "account": {"email": found.email, "role": found.role, "emp_id": emp_id}}
    out.write(json.dumps(head, ensure_ascii=False)[:-1].encode())
    for table, order in TABLES.items():
        out.write(f', "{table}": ['.encode())
        if emp_id is not None:
            cur = conn.cursor()
            first = True
            async for row in cur.stream(f"SELECT * FROM {table} WHERE emp_id = %s ORDER BY {order}", (emp_id,)):
                names = [c.name for c in cur.description or []]
                record = {n: _json_value(v) for n, v in zip(names, row, strict=True)
                          if n not in _PRIVATE_COLUMNS.get(table, ())}
                out.write((b"" if first else b",") + json.dumps(record, ensure_ascii=False).encode())
                first = False
        out.write(b"]")
    out.write(b"}")


async def _send(out: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := out.read(SEND_CHUNK):
            yield chunk
    finally:
        out.close()


@page(router, "/me/export.json")
async def my_export(request: Request, found: Viewer) -> Response:
    """The export is written whole (in memory, then a temporary file) before the first byte is sent, so the
    database connection goes back to the pool at once: a client that stops reading holds only its file."""
    out = tempfile.SpooledTemporaryFile(EXPORT_IN_MEMORY)  # noqa: SIM115 (closed by _send, or below on error)
    try:
        async with app_state(request).db.connection() as conn:
            await _write_export(conn, found, out)
        size = out.tell()
        out.seek(0)
    except OSError as exc:  # no room for the temporary file
        out.close()
        raise ApiError(503, "unavailable", "the export cannot be prepared right now; try again later") from exc
    except BaseException:
        out.close()
        raise
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response = StreamingResponse(_send(out), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="wfh-my-data-{stamp}.json"', "Content-Length": str(size)})
    return page_headers(response)
