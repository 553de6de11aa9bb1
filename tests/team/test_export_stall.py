"""A client that stops reading its "My data" export holds no database connection (it held one while the
body streamed: with the pool full, every other request of that worker answered 503 "database busy")."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.support.server import start_server
from tests.team.conftest import EMP_A, EMP_B, EMPLOYEE_A, PASSWORD, People, span

ROWS = 10_000  # ≈ 10 MB of titles: more than the socket buffers between the server and a stalled client


def test_a_stalled_export_download_leaves_the_pool_to_everyone_else(people: People, tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(days=20)
    server = start_server(people.url, tmp_path / "shots", WFH_INGEST_DB_POOL_MIN="1", WFH_INGEST_DB_POOL_MAX="1",
                          WFH_INGEST_LOG_LEVEL="info", WFH_INGEST_RATE_PER_MINUTE="60000",
                          WFH_INGEST_RATE_BURST="10000")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as device:
            for batch in range(ROWS // 1000):
                records = [span(start + timedelta(minutes=batch * 1000 + i), 50, title="T" * 1000)
                           for i in range(1000)]
                answer = device.post("/api/v1/ingest/heartbeats", json={"records": records},
                                     headers={"X-Api-Key": people.keys[EMP_A]})
                assert answer.status_code == 200 and answer.json()["accepted"] == 1000, answer.text[:200]
        with httpx.Client(base_url=server.url, timeout=30) as browser:
            token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
            assert token
            form = {"email": EMPLOYEE_A, "password": PASSWORD, "csrf_token": token.group(1)}
            assert browser.post("/login", data=form).status_code in (200, 303)
            cookie = browser.cookies["wfh_session"]
        stalled = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
        try:
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.sendall(f"GET /me/export.json HTTP/1.1\r\nHost: x\r\nCookie: wfh_session={cookie}\r\n\r\n".encode())
            assert stalled.recv(100).startswith(b"HTTP/1.1 200")
            with httpx.Client(base_url=server.url, timeout=30) as other:
                began = time.monotonic()
                answer = other.post("/api/v1/ingest/heartbeats", json={"records": [span(start, 30)]},
                                    headers={"X-Api-Key": people.keys[EMP_B]})
                waited = time.monotonic() - began
            assert answer.status_code == 200, answer.text
            assert waited < 3, waited  # the pool's wait for a connection gives up after 5 s
        finally:
            stalled.close()
    finally:
        server.stop()
