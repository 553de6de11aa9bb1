"""Idempotency (contract §7): resends store once, a lost response is harmless, older aggregates never
overwrite newer ones."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from tests.server.conftest import count_rows
from tests.server.records import headers, heartbeat, website_usage
from tests.support.pg import connect
from tests.support.server import start_server

URL = "/api/v1/ingest/heartbeats"


def _post(client: TestClient | httpx.Client, key: str, records: list[Any], stream: str = "heartbeats") -> Any:
    response = client.post(f"/api/v1/ingest/{stream}", headers=headers(key),
                           content=json.dumps({"records": records}))
    assert response.status_code == 200, response.text
    return response.json()


def test_same_batch_five_times_is_stored_once(client: TestClient, key: str, clean_db: str) -> None:
    records = [heartbeat(offset=i) for i in range(50)] + [{"client_id": "not-a-uuid"}]
    results = [_post(client, key, records) for _ in range(5)]
    assert results[0]["accepted"] == 50 and results[0]["duplicates"] == 0
    for later in results[1:]:
        assert later["accepted"] == 0 and later["duplicates"] == 50
        assert later["rejected"] == results[0]["rejected"]
    assert count_rows(clean_db, "heartbeats") == 50
    assert count_rows(clean_db, "ingest_log") == 5


def test_resend_with_changed_content_keeps_the_first_version(client: TestClient, key: str,
                                                              clean_db: str) -> None:
    record = heartbeat(window_title="first")
    _post(client, key, [record])
    assert _post(client, key, [dict(record, window_title="second")])["duplicates"] == 1
    with connect(clean_db) as conn:
        assert conn.execute("SELECT window_title FROM heartbeats").fetchall() == [("first",)]


def test_response_lost_after_commit_then_resend_stores_once(client: TestClient, key: str,
                                                            clean_db: str) -> None:
    """The app commits but its response never reaches the client (dropped at the ASGI send)."""
    records = [heartbeat(offset=i) for i in range(20)]
    body = json.dumps({"records": records}).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": URL, "raw_path": URL.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"x-api-key", key.encode()), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    lost: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        lost.append(message)  # the network drops it: the client never sees this response

    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    assert lost and lost[0]["status"] == 200  # the server did answer, after committing
    assert count_rows(clean_db, "heartbeats") == 20
    resend = _post(client, key, records)
    assert resend == {"accepted": 0, "duplicates": 20, "rejected": []}
    assert count_rows(clean_db, "heartbeats") == 20


def test_client_disconnecting_mid_request_then_resend_stores_once(clean_db: str, key: str,
                                                                 tmp_path: Path) -> None:
    """A real socket closed right after sending: whatever the first attempt did, one copy remains."""
    records = [heartbeat(offset=i) for i in range(200)]
    body = json.dumps({"records": records}).encode()
    with start_server(clean_db, tmp_path / "shots") as server:
        host, port = server.url.removeprefix("http://").split(":")
        request = (f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {key}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(request)
        with httpx.Client(base_url=server.url) as http:
            resend = _post(http, key, records)
    assert resend["accepted"] + resend["duplicates"] == 200
    assert count_rows(clean_db, "heartbeats") == 200


def test_older_aggregate_never_overwrites_newer(client: TestClient, key: str, clean_db: str) -> None:
    newer = website_usage(seconds=1800, updated_delta=-60)
    older = dict(newer, duration_seconds=900, updated_at=website_usage(updated_delta=-1200)["updated_at"],
                 client_id="9a4d2c7e-1b3f-4e5a-8c6d-0f1e2d3c4b99")
    assert _post(client, key, [newer], "website_usage")["accepted"] == 1
    assert _post(client, key, [older], "website_usage") == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert _post(client, key, [newer], "website_usage")["duplicates"] == 1  # equal updated_at: no change
    with connect(clean_db) as conn:
        row = conn.execute("SELECT duration_seconds, client_id::text FROM website_usage").fetchone()
    assert row == (1800, newer["client_id"])


def test_in_batch_aggregate_versions_reduce_to_the_latest(client: TestClient, key: str, clean_db: str) -> None:
    v1 = website_usage(domain="GitHub.com", seconds=100, updated_delta=-300)
    v3 = dict(v1, domain="github.com", duration_seconds=300, updated_at=website_usage(updated_delta=-60)["updated_at"])
    v2 = dict(v1, duration_seconds=200, updated_at=website_usage(updated_delta=-120)["updated_at"])
    tie = dict(v3, duration_seconds=301)  # same updated_at as v3, later index: wins
    result = _post(client, key, [v1, v3, v2, tie], "website_usage")
    assert result == {"accepted": 1, "duplicates": 3, "rejected": []}
    with connect(clean_db) as conn:
        assert conn.execute("SELECT domain, duration_seconds FROM website_usage").fetchall() == [("github.com", 301)]


def test_newer_aggregate_updates_every_column(client: TestClient, key: str, clean_db: str) -> None:
    old = {"client_id": "5c8e1f20-7d4a-4b3c-9e2f-6a1b0c9d8e01", "date": website_usage()["date"],
           "productive_seconds": 10, "unproductive_seconds": 20, "neutral_seconds": 30, "idle_seconds": 40,
           "score": 50.0, "updated_at": website_usage(updated_delta=-600)["updated_at"]}
    new = dict(old, client_id="5c8e1f20-7d4a-4b3c-9e2f-6a1b0c9d8e02", productive_seconds=11, score=75.5,
               updated_at=website_usage(updated_delta=-30)["updated_at"])
    assert _post(client, key, [old], "productivity")["accepted"] == 1
    assert _post(client, key, [new], "productivity")["accepted"] == 1
    with connect(clean_db) as conn:
        row = conn.execute("SELECT client_id::text, productive_seconds, score FROM productivity").fetchone()
    assert row == (new["client_id"], 11, 75.5)


def test_concurrent_identical_batches_store_once(clean_db: str, key: str, tmp_path: Path) -> None:
    """A retry racing the first attempt: the unique key decides, accepted rows add up to one copy."""
    records = [heartbeat(offset=i) for i in range(200)]
    body = json.dumps({"records": records})
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def send(http: httpx.Client) -> None:
        barrier.wait(10)
        results.append(http.post(URL, headers=headers(key), content=body).json())

    with start_server(clean_db, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="6000",
                      WFH_INGEST_RATE_BURST="100") as server:
        clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(4)]
        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for c in clients:
            c.close()
    assert len(results) == 4
    assert sum(r["accepted"] for r in results) == 200
    assert all(r["accepted"] + r["duplicates"] == 200 for r in results)
    assert count_rows(clean_db, "heartbeats") == 200
