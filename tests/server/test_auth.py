"""Authentication and identity (contract §4): one 401 for every bad key, immediate revocation,
identity from the key only, keys stored as digests, no key text in any log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ingestion.keys import key_hash, revoke_key
from tests.server.conftest import DEVICE, EMP, count_rows
from tests.server.records import headers, heartbeat
from tests.support.pg import connect
from tests.support.server import create_key, start_server

URL = "/api/v1/ingest/heartbeats"
VARYING = {"x-request-id", "date", "content-length"}


def _bad_keys(url: str) -> dict[str, str | None]:
    valid = create_key(url, EMP, DEVICE)
    revoked = create_key(url, EMP, DEVICE)
    expired = create_key(url, EMP, DEVICE, expires_days=1)
    with connect(url) as conn:
        revoke_key(conn, revoked[4:12])
        conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE prefix = %s",
                     (expired[4:12],))
    return {
        "missing": None,
        "empty": "",
        "malformed": "not-a-valid-key",
        "too_long_secret": valid + "x" * 200,
        "unknown_prefix": "wfh_ZZZZZZZZ_" + "a" * 43,
        "known_prefix_wrong_secret": valid[:13] + "b" * 43,
        "revoked": revoked,
        "expired": expired,
    }


def test_every_bad_key_gets_the_identical_401(client: TestClient, clean_db: str) -> None:
    seen = []
    for cause, key in _bad_keys(clean_db).items():
        sent = {"Content-Type": "application/json"} | ({"X-Api-Key": key} if key is not None else {})
        for method, path in (("POST", URL), ("GET", "/api/v1/me"), ("POST", "/api/v1/screenshots")):
            response = client.request(method, path, headers=sent, content=b'{"records":[]}')
            assert response.status_code == 401, (cause, path)
            assert response.content == b'{"error":"unauthorized"}', cause
            assert "www-authenticate" not in response.headers
            seen.append(sorted((k, v) for k, v in response.headers.items() if k not in VARYING))
    assert all(h == seen[0] for h in seen), "401 headers differ between causes"


def test_key_in_query_string_is_ignored(client: TestClient, key: str) -> None:
    response = client.get("/api/v1/me", params={"X-Api-Key": key, "api_key": key})
    assert response.status_code == 401


def test_revocation_takes_effect_within_the_key_cache_time(clean_db: str, key: str,
                                                           client_for: Callable[..., TestClient]) -> None:
    """§4.3: a verified key is remembered for ``WFH_INGEST_KEY_CACHE_SECONDS``, so a revocation takes
    effect within that time (here 2 s), and at once with the cache off."""
    client = client_for(clean_db, key_cache_seconds=2.0)
    uncached = client_for(clean_db, key_cache_seconds=0.0)
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    assert uncached.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    with connect(clean_db) as conn:
        assert revoke_key(conn, key[4:12])
    assert uncached.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 401
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200  # still cached
    time.sleep(2.1)
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 401


def test_identity_comes_from_the_key(client: TestClient, clean_db: str) -> None:
    key_a = create_key(clean_db, 1001, "LAPTOP-A")
    key_b = create_key(clean_db, 2002, "LAPTOP-B")
    me_a = client.get("/api/v1/me", headers={"X-Api-Key": key_a}).json()
    assert (me_a["emp_id"], me_a["device"], me_a["key_prefix"]) == (1001, "LAPTOP-A", key_a[4:12])
    response = client.post(URL, headers=headers(key_a), content=json.dumps({"records": [heartbeat()]}))
    assert response.json()["accepted"] == 1
    with connect(clean_db) as conn:
        rows = conn.execute("SELECT h.emp_id, d.name FROM heartbeats h JOIN devices d USING (device_id)").fetchall()
    assert rows == [(1001, "LAPTOP-A")]
    assert client.get("/api/v1/me", headers={"X-Api-Key": key_b}).json()["emp_id"] == 2002


@pytest.mark.parametrize("wrong", [2002, "1001", 1001.0, None, True])
def test_emp_id_mismatch_refuses_the_whole_batch(client: TestClient, key: str, clean_db: str,
                                                 wrong: object) -> None:
    records = [heartbeat(), heartbeat(emp_id=wrong), "not an object"]
    response = client.post(URL, headers=headers(key), content=json.dumps({"records": records}))
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "records[1].emp_id does not match the API key"}
    assert count_rows(clean_db, "heartbeats") == 0
    with connect(clean_db) as conn:
        logged = conn.execute("SELECT http_status, record_count FROM ingest_log").fetchall()
    assert logged == [(403, 3)]


def test_keys_are_stored_only_as_prefix_and_sha256(clean_db: str) -> None:
    key = create_key(clean_db, EMP, DEVICE)
    secret = key[13:]
    with connect(clean_db) as conn:
        row = conn.execute("SELECT prefix, key_hash FROM api_keys").fetchone()
        dump = conn.execute("SELECT string_agg(t::text, '|') FROM (SELECT * FROM api_keys) t").fetchone()
    assert row is not None and dump is not None
    assert row[0] == key[4:12] and bytes(row[1]) == key_hash(key) and len(bytes(row[1])) == 32
    assert secret not in dump[0] and key not in dump[0]


def test_no_key_text_in_in_process_logs(client: TestClient, clean_db: str,
                                        caplog: pytest.LogCaptureFixture) -> None:
    keys = _bad_keys(clean_db) | {"valid": create_key(clean_db, EMP, "OTHER-LAPTOP")}
    with caplog.at_level(logging.DEBUG):
        for key in keys.values():
            if key:
                client.post(URL, headers=headers(key), content=json.dumps({"records": [heartbeat()]}))
                client.get(f"/api/v1/me?key={key}", headers={"X-Api-Key": key})
    # Server-side loggers only: the test's own HTTP client logs the URLs it requests.
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("ingestion", "uvicorn")))
    assert "POST /api/v1/ingest/heartbeats 200" in text  # the access log was captured at all
    assert "cause=revoked" in text and "cause=expired" in text
    for key in keys.values():
        if key and len(key) > 20:
            assert key[13:] not in text, "key secret leaked into the log"


def test_no_key_text_in_the_real_server_log(clean_db: str, tmp_path: Path,
                                           client_for: Callable[..., TestClient]) -> None:
    keys = [k for k in _bad_keys(clean_db).values() if k] + [create_key(clean_db, EMP, "OTHER-LAPTOP")]
    with start_server(clean_db, tmp_path / "shots") as server, httpx.Client(base_url=server.url) as http:
        for key in keys:
            http.post(URL, headers=headers(key, **{"User-Agent": f"WFH-Agent/1.0 {key}"}),
                      content=json.dumps({"records": [heartbeat()]}))
            http.get(f"/api/v1/me/{key}?api_key={key}", headers={"X-Api-Key": key})
    log_text = server.log_text
    assert "POST /api/v1/ingest/heartbeats 200" in log_text
    assert "unauthorized" in log_text
    for key in keys:
        if len(key) <= 20:  # "not-a-valid-key" has no secret part
            continue
        assert key[13:] not in log_text, "key secret leaked into the server log"


def test_every_api_route_is_authorized_by_its_signature(settings_for: Callable[..., Any]) -> None:
    """The key check is a typed dependency (``identity: Authorized``): a new route cannot forget it."""
    from fastapi.routing import APIRoute

    from ingestion.api import create_app
    from ingestion.context import authorize, authorize_screenshot

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            included = getattr(route, "original_router", None)
            yield from walk(included.routes) if included is not None else [route]

    app = create_app(settings_for("postgresql://127.0.0.1:1/unused"))
    # /api/v1/reports/* is read with a people session, not a device key (tests/team's matrix covers it)
    api_routes = [r for r in walk(app.routes) if isinstance(r, APIRoute) and r.path.startswith("/api/v1/")
                  and not r.path.startswith("/api/v1/reports/")]
    assert {r.path for r in api_routes} >= {"/api/v1/me", "/api/v1/screenshots", "/api/v1/ingest/heartbeats"}
    key_checks = {authorize, authorize_screenshot}
    unprotected = [r.path for r in api_routes if not key_checks & {d.call for d in r.dependant.dependencies}]
    assert unprotected == []
    # The key check takes nothing from the client but the request: no query parameter can steer it.
    for route in api_routes:
        for dependency in route.dependant.dependencies:
            if dependency.call in key_checks:
                assert dependency.query_params == [], (route.path, dependency.query_params)
