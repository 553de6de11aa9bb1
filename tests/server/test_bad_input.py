"""Bad input never gives a 5xx: each malformed request maps to its contract error (§3.5, §5.3, §6.8)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import count_rows
from tests.server.records import headers, heartbeat, ts
from tests.support.pg import connect

URL = "/api/v1/ingest/heartbeats"


def post_records(client: TestClient, key: str, records: list[Any]) -> dict[str, Any]:
    response = client.post(URL, headers=headers(key), content=json.dumps({"records": records}))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["accepted"] + body["duplicates"] + len(body["rejected"]) == len(records)
    return body


def only_error(body: dict[str, Any]) -> str:
    assert body["accepted"] == 0 and len(body["rejected"]) == 1, body
    error: str = body["rejected"][0]["error"]
    return error


@pytest.mark.parametrize("raw, code", [
    (b'{"records": [', "malformed_json"),
    (b'{"records": [{"cpu_percent": NaN}]}', "malformed_json"),
    (b'{"records": [{"cpu_percent": Infinity}]}', "malformed_json"),
    (b'{"records": [{"cpu_percent": -Infinity}]}', "malformed_json"),
    (b'{"records": ["\xff\xfe"]}', "malformed_json"),  # invalid UTF-8
    (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),  # deeper than the parser's recursion limit
    (b"", "malformed_json"),
])
def test_unparseable_bodies_are_400(client: TestClient, key: str, raw: bytes, code: str) -> None:
    response = client.post(URL, headers=headers(key), content=raw)
    assert response.status_code == 400
    assert response.json()["error"] == code


@pytest.mark.parametrize("field, value, prefix", [
    ("cpu_percent", "12", "cpu_percent:"),            # string for a number
    ("cpu_percent", True, "cpu_percent:"),            # boolean is not a number
    ("battery_plugged", 1, "battery_plugged:"),       # integer for a boolean
    ("process_name", 5, "process_name:"),
    ("started_at", 1700000000, "started_at:"),
    ("window_title", "a\u0000b", "window_title:"),    # PostgreSQL cannot store U+0000
    ("window_title", "x" * 100_000, "window_title:"),
    ("url", "\ud800", "url:"),                        # unpaired surrogate
    ("started_at", ts(-600)[:-1], "started_at:"),     # no zone
    ("started_at", ts(-600).replace("T", "t"), "started_at:"),
    ("ended_at", ts(-700), "ended_at:"),              # before started_at
    ("tz", "Mars/Olympus", "tz:"),
    ("client_id", "00000000-0000-0000-0000-000000000000", "client_id:"),
    ("geo", {"lat": 91, "lon": 0}, "geo.lat:"),
    ("geo", {"lat": 1}, "geo.lon:"),
    ("status", "sleeping", "status:"),
])
def test_invalid_fields_reject_only_that_record(client: TestClient, key: str, clean_db: str, field: str,
                                                value: Any, prefix: str) -> None:
    body = post_records(client, key, [heartbeat(**{field: value}), heartbeat()])
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [0]
    assert body["rejected"][0]["error"].startswith(prefix), body
    assert count_rows(clean_db, "heartbeats") == 1


def test_huge_numbers_are_range_rejects(client: TestClient, key: str) -> None:
    raw = ('{"records": [' + json.dumps(heartbeat())[:-1] + ', "cpu_percent": 1e400}'
           ',' + json.dumps(heartbeat(battery_level=10**40)) + "]}")
    response = client.post(URL, headers=headers(key), content=raw)
    assert response.status_code == 200
    errors = [r["error"] for r in response.json()["rejected"]]
    assert errors[0].startswith("cpu_percent:") and errors[1].startswith("battery_level:")


def test_surrogate_in_unknown_field_name_is_reported_safely(client: TestClient, key: str) -> None:
    raw = '{"records": [' + json.dumps(heartbeat())[:-1] + ', "\\udc80x": 1}]}'
    error = only_error(client.post(URL, headers=headers(key), content=raw).json())
    assert error.endswith(": extra field not permitted")


def test_rejection_order_presence_then_unknown_then_cross_field(client: TestClient, key: str) -> None:
    missing = heartbeat()
    del missing["tz"]
    assert only_error(post_records(client, key, [dict(missing, extra=1)])).startswith("tz: ")
    assert only_error(post_records(client, key, [heartbeat(extra=1, ended_at=ts(-700))])).startswith("extra: ")
    assert only_error(post_records(client, key, [["not", "an", "object"]])) == "record: must be an object"
    long_span = heartbeat(started_at=ts(-90_000), ended_at=ts(-60))
    assert only_error(post_records(client, key, [long_span])).startswith("ended_at: span")


def test_1001_records_is_413(client: TestClient, key: str, clean_db: str) -> None:
    response = client.post(URL, headers=headers(key), content=json.dumps({"records": [heartbeat()] * 1001}))
    assert response.status_code == 413
    assert response.json()["error"] == "too_many_records"
    assert count_rows(clean_db, "heartbeats") == 0


def test_1000_records_are_accepted(client: TestClient, key: str, clean_db: str) -> None:
    records = [heartbeat(offset=i) for i in range(1000)]
    assert post_records(client, key, records)["accepted"] == 1000
    assert count_rows(clean_db, "heartbeats") == 1000


def test_10_mib_body_is_413_before_parsing(client: TestClient, key: str) -> None:
    response = client.post(URL, headers=headers(key), content=b"{" * (10 * 1_048_576))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_chunked_body_without_length_is_cut_at_4_mib(client: TestClient, key: str) -> None:
    chunks = (b" " * 65_536 for _ in range(80))  # 5 MiB, sent chunked: no Content-Length to refuse early
    response = client.post(URL, headers=headers(key), content=chunks)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_gzip_bomb_stops_at_4_mib(client: TestClient, key: str) -> None:
    bomb = gzip.compress(b'{"records":[]}' + b" " * (256 * 1_048_576), compresslevel=9)
    assert len(bomb) < 300_000
    response = client.post(URL, headers=headers(key, **{"Content-Encoding": "gzip"}), content=bomb)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


@pytest.mark.parametrize("payload", [
    gzip.compress(b'{"records":[]}')[:-6],                              # truncated member
    gzip.compress(b'{"records":[]}') + gzip.compress(b'{"records":[]}'),  # a second member
    b"this is not gzip",
])
def test_broken_gzip_is_400(client: TestClient, key: str, payload: bytes) -> None:
    response = client.post(URL, headers=headers(key, **{"Content-Encoding": "gzip"}), content=payload)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_gzip"


def test_gzip_just_under_the_cap_is_accepted(client: TestClient, key: str) -> None:
    body = b'{"records":[]}' + b" " * (4 * 1_048_576 - 14)
    response = client.post(URL, headers=headers(key, **{"Content-Encoding": "gzip"}), content=gzip.compress(body))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "",
                                          "application/json; charset=latin-1", "application/jsonx"])
def test_wrong_content_type_is_415(client: TestClient, key: str, content_type: str) -> None:
    response = client.post(URL, headers={"X-Api-Key": key, "Content-Type": content_type},
                           content=b'{"records": []}')
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_content_type_parameters_and_case_allowed(client: TestClient, key: str) -> None:
    response = client.post(URL, headers={"X-Api-Key": key, "Content-Type": "Application/JSON; Charset=UTF-8"},
                           content=b'{"records": []}')
    assert response.status_code == 200


def test_unknown_stream_is_404_before_auth(client: TestClient) -> None:
    response = client.post("/api/v1/ingest/keystrokes", content=b"{}")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


def test_docs_pages_are_disabled_and_openapi_is_31(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    for name in ("HeartbeatRecord", "WebsiteUsageRecord", "ProductivityRecord", "TimelineRecord",
                 "WellnessRecord", "ScreenshotMeta", "IngestResult", "Rejection", "Error", "Health", "Me",
                 "ScreenshotResult"):
        assert name in schemas
    assert schemas["HeartbeatRecord"]["additionalProperties"] is False


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/health", headers={"X-Request-Id": "bad id!"}).headers["x-request-id"]
    assert generated != "bad id!" and len(generated) == 36
    assert client.get("/health").headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method, path, status", [
    ("POST", "/api/v1/ingest/heartbeats/", 404),  # no redirect to the slash-less path
    ("GET", "/health/", 404),
    ("GET", "/no-such-page", 404),  # "/" is the dashboard (issue 17)
    ("OPTIONS", "/api/v1/me", 405),
    ("DELETE", "/api/v1/screenshots", 405),
])
def test_other_paths_and_methods(client: TestClient, method: str, path: str, status: int) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status
    assert response.json()["error"] == ("not_found" if status == 404 else "method_not_allowed")
    if status == 405:
        assert response.headers["allow"]


def test_a_user_agent_with_nul_is_logged_without_it(client: TestClient, key: str, clean_db: str) -> None:
    """The User-Agent goes to ingest_log (the team view's agent version): PostgreSQL text refuses U+0000."""
    response = client.post("/api/v1/ingest/heartbeats", headers=headers(key, **{"User-Agent": "WFH-Agent/2.1\x00x"}),
                           content=json.dumps({"records": [heartbeat()]}))
    assert response.status_code == 200, response.text
    with connect(clean_db) as conn:
        assert conn.execute("SELECT user_agent FROM ingest_log").fetchall() == [("WFH-Agent/2.1x",)]
