"""What ends up in PostgreSQL: normalised values, UTC instants, split geo, nulls, metrics."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from tests.server.records import headers, heartbeat
from tests.support.pg import connect
from tests.support.server import create_key, start_server


def test_values_are_stored_normalised(client: TestClient, key: str, clean_db: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    # The same instant written with a +05:30 offset and a fraction: stored as UTC, fraction kept.
    local = (start + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S") + ".5+05:30"
    upper = str(uuid.uuid4()).upper()
    records = [
        heartbeat(upper, started_at=local, domain="GitHub.COM", geo={"lat": -1.5, "lon": 2.25}),
        heartbeat(domain=None, url=None, battery_level=None, battery_plugged=None, geo=None),
    ]
    response = client.post("/api/v1/ingest/heartbeats", headers=headers(key), content=json.dumps({"records": records}))
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    with connect(clean_db) as conn:
        rows = conn.execute(
            "SELECT client_id::text, started_at, domain, geo_lat, geo_lon, battery_plugged, emp_id"
            " FROM heartbeats ORDER BY geo_lat NULLS LAST").fetchall()
    assert rows[0][0] == upper.lower()
    assert rows[0][1] == start + timedelta(milliseconds=500)
    assert rows[0][2:] == ("github.com", -1.5, 2.25, False, 1001)
    assert rows[1][2:] == (None, None, None, None, 1001)
    resend = client.post("/api/v1/ingest/heartbeats", headers=headers(key),
                         content=json.dumps({"records": [dict(records[0], client_id=upper.lower())]}))
    assert resend.json()["duplicates"] == 1  # client_id matching is case-insensitive (it is a uuid)


def test_statement_timeout_is_503_retry_after_5(clean_db: str, key: str,
                                                 client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, statement_timeout_ms=1)
    records = [heartbeat(offset=i) for i in range(1000)]
    response = client.post("/api/v1/ingest/heartbeats", headers=headers(key), content=json.dumps({"records": records}))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5" and response.json()["error"] == "unavailable"
    with connect(clean_db) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone() == (0,)


def test_last_used_at_is_recorded(client: TestClient, key: str, clean_db: str) -> None:
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    with connect(clean_db) as conn:
        row = conn.execute("SELECT last_used_at FROM api_keys").fetchone()
    assert row is not None and row[0] is not None


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_and_records(client: TestClient, key: str) -> None:
    before = client.get("/metrics").text
    records = [heartbeat(), heartbeat(), {"client_id": "nope"}]
    client.post("/api/v1/ingest/heartbeats", headers=headers(key), content=json.dumps({"records": records}))
    after = client.get("/metrics").text
    route = "/api/v1/ingest/heartbeats"
    assert _metric(after, "wfh_ingest_requests_total", route=route, status="200") - \
        _metric(before, "wfh_ingest_requests_total", route=route, status="200") == 1
    assert _metric(after, "wfh_ingest_records_total", stream="heartbeats", outcome="accepted") - \
        _metric(before, "wfh_ingest_records_total", stream="heartbeats", outcome="accepted") == 2
    assert _metric(after, "wfh_ingest_records_total", stream="heartbeats", outcome="rejected") - \
        _metric(before, "wfh_ingest_records_total", stream="heartbeats", outcome="rejected") == 1
    assert re.search(r'wfh_ingest_batch_seconds_count\{stream="heartbeats"\} [1-9]', after)


def test_metrics_cover_all_workers(clean_db: str, tmp_path: Path) -> None:
    key = create_key(clean_db, 1001, "METRICS")
    with start_server(clean_db, tmp_path / "shots", workers=2) as server:
        for _ in range(12):  # a new connection each time, so both workers get requests
            assert httpx.get(f"{server.url}/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
        text = httpx.get(f"{server.url}/metrics").text
    assert _metric(text, "wfh_ingest_requests_total", route="/api/v1/me", status="200") == 12
