"""TLS is verified (a self-signed server fails as "tls"; its certificate as ca_bundle makes it pass),
and a server slower than the read timeout is reported as "timeout" and backs off."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from app.sync.client import ApiClient, check_connection
from tests.sync.replay import JSON, VALID_KEY, ReplayServer, seed_heartbeats

ME = b'{"emp_id":1001,"device":"D","key_prefix":"TESTPREF","server_time":"2030-01-01T00:00:00.000Z"}'


@pytest.fixture
def tls_server(tmp_path: Path) -> Any:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = ReplayServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    yield server, cert
    server.close()


def test_self_signed_is_tls_error_until_ca_bundle(tls_server: Any) -> None:
    server, cert = tls_server
    url = server.url.replace("http://", "https://")
    report = check_connection(ApiClient(url, VALID_KEY))
    assert report["problem"] == "tls"
    server.script = [lambda s: (200, JSON, b'{"status":"healthy"}'), lambda s: (200, JSON, ME)]
    report = check_connection(ApiClient(url, VALID_KEY, ca_bundle=str(cert)))
    assert report["ok"], report


def test_read_timeout_is_reported_and_backs_off(sync_env: Any) -> None:
    release = threading.Event()

    def slow(seen: Any) -> Any:
        release.wait(5)
        return 200, JSON, b"{}"

    seed_heartbeats(sync_env.conn, 2)
    sync_env.profile.settings.set("ingestion.api.read_timeout_seconds", 0.3)
    sync_env.server.script = [slow]
    engine = sync_env.engine()
    result = engine.run_cycle()
    release.set()
    assert result.state == "unreachable" and "timeout" in result.last_error
    assert 0 <= engine.next_attempt_at - sync_env.clock.now <= 2
