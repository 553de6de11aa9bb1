"""Issue 13 regressions, in process: whatever passes validation is storable, a record PostgreSQL
refuses costs only that record, bounded multipart parsing, uniform key failures."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from starlette.requests import Request
from starlette.testclient import TestClient

from ingestion.auth import authenticate
from ingestion.db import unreachable
from ingestion.errors import ApiError
from ingestion.ingest import LogEntry, store_batch
from ingestion.validation import STREAMS, Clock, validate_batch
from tests.server.conftest import EMP
from tests.server.records import headers, heartbeat, ts, website_usage
from tests.server.test_storage import _metric
from tests.support.pg import SCHEMA, connect


def _post(client: TestClient, key: str, stream: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post(f"/api/v1/ingest/{stream}", headers=headers(key),
                           content=json.dumps({"records": records}))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _productivity(**changes: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "date": ts(-3600)[:10], "productive_seconds": 60,
            "unproductive_seconds": 0, "neutral_seconds": 0, "idle_seconds": 0, "score": 50,
            "updated_at": ts(-60), **changes}


@pytest.mark.parametrize("value", [1e-50, 5e-324, 1e-40, 99.99999999999, 3.4028235e-39])
@pytest.mark.parametrize("field", ["cpu_percent", "memory_percent", "battery_level"])
def test_tiny_and_precise_floats_store_in_real_columns(client: TestClient, key: str, clean_db: str,
                                                       field: str, value: float) -> None:
    body = _post(client, key, "heartbeats", [heartbeat(**{field: value})])
    assert body == {"accepted": 1, "duplicates": 0, "rejected": []}
    with connect(clean_db) as conn:
        stored = conn.execute(f"SELECT {field} FROM heartbeats").fetchone()
    assert stored is not None and abs(stored[0] - value) <= max(1e-45, abs(value) * 1e-6)


def test_tiny_productivity_score_stores(client: TestClient, key: str) -> None:
    assert _post(client, key, "productivity", [_productivity(score=1e-50)])["accepted"] == 1


@pytest.fixture
def refuse_title(clean_db: str) -> Iterator[str]:
    """A constraint validation does not know about: PostgreSQL refuses one specific record."""
    with connect(clean_db) as conn:
        conn.execute("ALTER TABLE heartbeats ADD CONSTRAINT test_refused CHECK (window_title <> 'refused')")
    try:
        yield "refused"
    finally:
        with connect(clean_db) as conn:
            conn.execute("ALTER TABLE heartbeats DROP CONSTRAINT test_refused")


def test_a_record_postgresql_refuses_is_rejected_alone(client: TestClient, key: str, clean_db: str,
                                                       refuse_title: str) -> None:
    before = _metric(client.get("/metrics").text, "wfh_ingest_unstorable_records_total", stream="heartbeats")
    records = [heartbeat(offset=i) for i in range(5)]
    records[3]["window_title"] = refuse_title
    records.append({"client_id": "not-a-uuid"})  # a validation rejection alongside
    records.append(dict(records[0]))  # and an in-batch duplicate
    body = _post(client, key, "heartbeats", records)
    assert body["accepted"] == 4 and body["duplicates"] == 1
    assert [r["index"] for r in body["rejected"]] == [3, 5]
    assert body["rejected"][0]["client_id"] == records[3]["client_id"]
    assert body["rejected"][0]["error"].startswith("record: not storable")
    after = _metric(client.get("/metrics").text, "wfh_ingest_unstorable_records_total", stream="heartbeats")
    assert after - before == 1
    with connect(clean_db) as conn:
        titles = [r[0] for r in conn.execute("SELECT window_title FROM heartbeats")]
        log = conn.execute("SELECT http_status, record_count, accepted, duplicates, rejected FROM ingest_log"
                           " WHERE endpoint = 'heartbeats'").fetchall()
    assert len(titles) == 4 and refuse_title not in titles
    assert log == [(200, 7, 4, 1, 2)]
    again = _post(client, key, "heartbeats", records[:5])  # the resend: good ones are duplicates
    assert again["accepted"] == 0 and again["duplicates"] == 4 and [r["index"] for r in again["rejected"]] == [3]


def _multipart(boundary: bytes, parts: list[tuple[str, bytes]], empty_parts: int = 0) -> bytes:
    chunks = []
    for name, data in parts:
        chunks.append(b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + name.encode()
                      + b"\"\r\n\r\n" + data + b"\r\n")
    chunks.append((b"--" + boundary + b"\r\n\r\n\r\n") * empty_parts)
    chunks.append(b"--" + boundary + b"--\r\n")
    return b"".join(chunks)


def _meta(data: bytes) -> bytes:
    return json.dumps({"client_id": str(uuid.uuid4()), "captured_at": ts(-60),
                       "sha256": hashlib.sha256(data).hexdigest(), "width": 1, "height": 1,
                       "format": "png", "blurred": False}).encode()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_part_bomb_is_refused_at_the_part_cap_quickly(client: TestClient, key: str) -> None:
    body = _multipart(b"b", [], empty_parts=1_170_000)
    assert 10_000_000 < len(body) < 10_551_296
    started = time.perf_counter()
    response = client.post("/api/v1/screenshots", content=body,
                           headers={"X-Api-Key": key, "Content-Type": "multipart/form-data; boundary=b"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 422 and response.json()["error"] == "invalid_multipart"
    assert "more than 2 parts" in response.json()["detail"]
    assert elapsed < 1.5, f"rejecting the part bomb took {elapsed:.2f} s"  # was 7 s


def test_a_third_part_is_refused_and_two_parts_still_work(client: TestClient, key: str) -> None:
    parts = [("meta", _meta(PNG)), ("file", PNG)]
    ctype = {"X-Api-Key": key, "Content-Type": "multipart/form-data; boundary=xyz"}
    ok = client.post("/api/v1/screenshots", content=_multipart(b"xyz", parts), headers=ctype)
    assert ok.status_code == 201, ok.text
    three = client.post("/api/v1/screenshots", content=_multipart(b"xyz", [*parts, ("x", b"1")]), headers=ctype)
    assert three.status_code == 422 and three.json()["error"] == "invalid_multipart"


@pytest.mark.parametrize("length", [71, 257, 300, 5000])
def test_overlong_boundary_is_a_malformed_request(client: TestClient, key: str, length: int) -> None:
    boundary = b"a" * length
    response = client.post("/api/v1/screenshots", content=_multipart(boundary, [("meta", _meta(PNG)), ("file", PNG)]),
                           headers={"X-Api-Key": key,
                                    "Content-Type": f"multipart/form-data; boundary={boundary.decode()}"})
    assert response.status_code == 400 and response.json()["error"] == "malformed_multipart", response.text
    assert "boundary" in response.json()["detail"]


def test_missing_boundary_is_a_malformed_request_and_70_characters_still_work(client: TestClient, key: str) -> None:
    parts = [("meta", _meta(PNG)), ("file", PNG)]
    missing = client.post("/api/v1/screenshots", content=_multipart(b"b", parts),
                          headers={"X-Api-Key": key, "Content-Type": "multipart/form-data"})
    assert missing.status_code == 400 and missing.json()["error"] == "malformed_multipart", missing.text
    longest = b"a" * 70
    ok = client.post("/api/v1/screenshots", content=_multipart(longest, parts),
                     headers={"X-Api-Key": key, "Content-Type": f"multipart/form-data; boundary={longest.decode()}"})
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("headers_block", [
    b"X-Pad: " + b"p" * 5000 + b"\r\n",  # one header line over 4 KiB
    b"".join(b"X-Pad-%d: p\r\n" % i for i in range(20)),  # more than 8 header lines
])
def test_oversized_part_headers_are_refused(client: TestClient, key: str, headers_block: bytes) -> None:
    body = (b"--b\r\n" + headers_block + b"Content-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n--b--\r\n")
    response = client.post("/api/v1/screenshots", content=body,
                           headers={"X-Api-Key": key, "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 422 and response.json()["error"] == "invalid_multipart"


@pytest.mark.parametrize("spaced", ["{key}  ", "  {key}", "\t{key}\t"])
def test_surrounding_whitespace_in_the_key_is_treated_alike(client: TestClient, key: str, spaced: str) -> None:
    response = client.get("/api/v1/me", headers={"X-Api-Key": spaced.format(key=key)})
    assert response.status_code == 200, response.text


class _Recording:
    """An async connection that records every statement and how many rows it gave."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self.trace: list[tuple[str, int]] = []

    async def execute(self, query: str, params: Any = None) -> Any:
        cur = await self.conn.execute(query, params)
        self.trace.append((query, cur.rowcount))
        return cur


def _request(key: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"x-api-key", key.encode())]})


async def _trace(url: str, key: str) -> list[tuple[str, int]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"SET search_path TO {SCHEMA}")
        recording = _Recording(conn)
        with pytest.raises(ApiError) as denied:
            await authenticate(_request(key), recording)  # type: ignore[arg-type]
        assert denied.value.status == 401
        return recording.trace


def test_unknown_prefix_and_wrong_secret_take_the_same_path(clean_db: str, key: str) -> None:
    """Timing cannot tell a known prefix when the database does identical work for both failures."""
    wrong_secret = key[:13] + ("A" if key[13] != "A" else "B") + key[14:]
    unknown_prefix = "wfh_ZZZZZZZZ" + key[12:]
    known = asyncio.run(_trace(clean_db, wrong_secret))
    unknown = asyncio.run(_trace(clean_db, unknown_prefix))
    assert known == unknown
    assert [rows for _, rows in known] == [0]


@pytest.mark.parametrize("exc, gone", [
    (pg_errors.DeadlockDetected(), False),
    (pg_errors.SerializationFailure(), False),
    (pg_errors.LockNotAvailable(), False),
    (pg_errors.AdminShutdown(), True),
    (pg_errors.CannotConnectNow(), True),
    (psycopg.OperationalError("connection lost"), True),
    (psycopg.InterfaceError("connection closed"), True),
])
def test_only_connection_failures_count_as_an_outage(exc: psycopg.Error, gone: bool) -> None:
    assert unreachable(exc) is gone


def test_append_only_statement_does_not_read_the_devices_stored_rows(client: TestClient, key: str,
                                                                     clean_db: str) -> None:
    """The batch rate fell as the table grew: the anti-join's plan hashed every stored row of the
    device per batch. The statement must only probe the unique index (ON CONFLICT)."""
    from ingestion.ingest import _SQL, columns
    from ingestion.validation import STREAMS, Clock, validate_batch

    for _ in range(3):
        _post(client, key, "heartbeats", [heartbeat(offset=i) for i in range(300)])
    stream = STREAMS["heartbeats"]
    rows = validate_batch(stream, [heartbeat(offset=i) for i in range(200)], Clock.at()).rows
    with connect(clean_db) as conn:
        device_id, key_id = conn.execute("SELECT device_id, key_id FROM api_keys").fetchone()  # type: ignore[misc]
        params = [device_id, 1001, *columns(stream, rows), device_id, key_id, "heartbeats", 200, 200, 200, 0,
                  0, 0, "test", None]
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + _SQL["heartbeats"], params))
    assert "Scan on heartbeats" not in plan and "Anti Join" not in plan, plan


async def _store_traced(url: str, device_id: int, key_id: int, stream_name: str,
                        records: list[dict[str, Any]]) -> tuple[list[tuple[str, int]], int]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"SET search_path TO {SCHEMA}")
        recording = _Recording(conn)
        stream = STREAMS[stream_name]
        checked = validate_batch(stream, records, Clock.at())
        entry = LogEntry(key_id, stream.name, 200, len(records), 0, 100, 1, "trace", None)
        stored = await store_batch(recording, stream, device_id, EMP, checked.rows,  # type: ignore[arg-type]
                                   len(records), entry)
        return recording.trace, stored.accepted


@pytest.mark.parametrize("stream_name", ["website_usage", "heartbeats"])
def test_a_batch_is_one_statement_and_one_round_trip(clean_db: str, key: str, stream_name: str) -> None:
    """No BEGIN/COMMIT around the one data-modifying statement: it is atomic on its own (autocommit).
    Heartbeats too: the reports' rollup of the stored rows is a CTE of the same statement."""
    with connect(clean_db) as conn:
        device_id, key_id = conn.execute("SELECT device_id, key_id FROM api_keys").fetchone()
    records = ([website_usage("a.example"), website_usage("b.example")] if stream_name == "website_usage"
               else [heartbeat(offset=0), heartbeat(offset=1)])
    trace, accepted = asyncio.run(_store_traced(clean_db, device_id, key_id, stream_name, records))
    assert accepted == 2
    assert len(trace) == 1 and trace[0][0].startswith(f"WITH ins AS (INSERT INTO {stream_name}")
    with connect(clean_db) as conn:
        logged = conn.execute("SELECT accepted, duplicates FROM ingest_log WHERE request_id = 'trace'").fetchall()
        if stream_name == "heartbeats":
            rolled = conn.execute("SELECT sum(seconds) FROM activity_quarters").fetchone()[0]
            assert rolled == 2 * 60                      # rolled up by that one statement
    assert logged == [(2, 0)]
