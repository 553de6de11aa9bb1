"""The production front (deploy/nginx/): a real nginx with the shipped snippet in front of a real
``wfh-ingest serve``, on 127.0.0.1. Idle and slow clients are held and dropped by nginx; normal
requests pass with the contract's headers; an unreachable server is the contract's JSON 503."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import DEVICE, EMP
from tests.server.records import headers, heartbeat
from tests.support.pg import free_port
from tests.support.server import ServerProcess, create_key, start_server

SNIPPET = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "wfh-ingestion-proxy.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


@dataclass
class Front:
    url: str
    port: int
    process: subprocess.Popen[bytes]


def _config(root: Path, listen: int, upstream: int) -> Path:
    temp = {name: root / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    conf = root / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    upstream wfh_ingest {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{listen};
        include {SNIPPET};
    }}
}}
""")
    return conf


@pytest.fixture
def front_for(tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(upstream: int) -> Front:
        assert NGINX is not None
        listen = free_port()
        root = tmp_path / f"nginx-{listen}"
        root.mkdir()
        conf = _config(root, listen, upstream)
        check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"])
        started.append(process)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (root / "error.log").read_text()
                time.sleep(0.05)
        return Front(f"http://127.0.0.1:{listen}", listen, process)

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


@pytest.fixture
def server(clean_db: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with start_server(clean_db, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                      WFH_INGEST_RATE_BURST="100000") as running:
        yield running


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_requests_pass_and_idle_or_slow_clients_are_dropped(server: ServerProcess, clean_db: str,
                                                            front_for: object) -> None:
    front = front_for(_port(server.url))  # type: ignore[operator]
    key = create_key(clean_db, EMP, DEVICE)
    idle = [socket.create_connection(("127.0.0.1", front.port)) for _ in range(1000)]
    slow = [socket.create_connection(("127.0.0.1", front.port)) for _ in range(50)]
    for sock in slow:
        sock.sendall(b"POST /api/v1/ingest/heartbeats HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    started = time.monotonic()
    try:
        with httpx.Client(base_url=front.url, timeout=10) as http:
            for i in range(20):
                response = http.post("/api/v1/ingest/heartbeats", headers=headers(key),
                                     content=json.dumps({"records": [heartbeat(offset=i)]}))
                assert response.status_code == 200, response.text
                assert response.headers["x-wfh-api-version"] == "1"
            assert http.get("/metrics").status_code == 404
            big = http.post("/api/v1/ingest/heartbeats", headers=headers(key), content=b" " * (5 * 1_048_576))
            assert big.status_code == 413 and big.json()["error"] == "payload_too_large"  # the server's own
        for sock in idle + slow:  # nginx's client_header_timeout (10 s) closes them all
            sock.settimeout(max(0.1, started + 20 - time.monotonic()))
            try:
                sock.recv(1024)  # b"" (closed) or nginx's 408 before closing
                assert sock.recv(1024) == b""
            except ConnectionResetError:
                pass
        assert time.monotonic() - started < 20
    finally:
        for sock in idle + slow:
            sock.close()


def test_unreachable_server_is_the_contract_503(front_for: object) -> None:
    front = front_for(free_port())  # type: ignore[operator]  # nothing listens there
    response = httpx.post(f"{front.url}/api/v1/ingest/heartbeats", content=b"{}", timeout=10)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30" and response.headers["x-wfh-api-version"] == "1"
    assert response.json()["error"] == "unavailable"
