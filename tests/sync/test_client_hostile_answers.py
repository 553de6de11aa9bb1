"""Hostile answers from a raw-socket server: deep JSON nesting, endless and gzip-bomb bodies, a body dripped a
byte at a time, HTML and huge ``error`` codes. Each must end as a network-class failure or a plain text, never
raise out of the client, stall the cycle or fill the memory; the Test connection and restore use the same client."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.sync import client as client_module
from app.sync.client import ApiClient, Outcome, check_connection
from app.sync.policy import Action
from app.sync.status import SyncReason, SyncState, SyncStatus
from tests.sync.replay import JSON, VALID_KEY, seed_heartbeats

JSON_HEAD = "Content-Type: application/json\r\nX-Wfh-Api-Version: 1\r\n"
Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """Reads a request's head and body, then lets ``handler`` write whatever bytes it likes."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler, self.tls, self.closed, self.requests = handler, tls, threading.Event(), 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._loop, daemon=True).start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://{'localhost' if self.tls else '127.0.0.1'}:{self.sock.getsockname()[1]}"

    def _loop(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests += 1
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


def answer(status: int, body: bytes, head: str = JSON_HEAD) -> Handler:
    def send(conn: socket.socket, server: RawServer) -> None:
        conn.sendall(f"HTTP/1.1 {status} X\r\n{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                     .encode() + body)
    return send


def endless(conn: socket.socket, server: RawServer) -> None:
    """A chunked 200 that would go on for 64 MiB (a client that buffers it all reads it all)."""
    conn.sendall(f"HTTP/1.1 200 OK\r\n{JSON_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
    frame = b"100000\r\n" + b" " * (1 << 20) + b"\r\n"
    for _ in range(64):
        if server.closed.is_set():
            return
        conn.sendall(frame)
    conn.sendall(b"0\r\n\r\n")


def drip(chunked: bool) -> Handler:
    """A byte every 0.05 s, each well within the read timeout; the whole body would take over an hour."""
    def send(conn: socket.socket, server: RawServer) -> None:
        framing = "Transfer-Encoding: chunked" if chunked else "Content-Length: 100000"
        conn.sendall(f"HTTP/1.1 200 OK\r\n{JSON_HEAD}{framing}\r\n\r\n".encode())
        if chunked:
            conn.sendall(b"186a0\r\n")  # one chunk of 100,000 bytes
        while not server.closed.wait(0.05):
            conn.sendall(b" ")
    return send


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler, tls: ssl.SSLContext | None = None) -> RawServer:
        servers.append(RawServer(handler, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fast_client(url: str, **kw: Any) -> ApiClient:
    """Deadline for an answer: 0.25 + 2 × 1 = 2.25 s; the drip's 0.05 s gaps stay far under the read timeout."""
    return ApiClient(url, VALID_KEY, connect_timeout=0.25, read_timeout=1.0, **kw)


def in_thread(fn: Callable[[], Outcome], limit: float = 30) -> Outcome:
    """Run ``fn`` with a generous limit, so a client without a deadline fails the test instead of hanging it."""
    box: dict[str, Outcome] = {}
    worker = threading.Thread(target=lambda: box.setdefault("outcome", fn()), daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"still reading the answer after {limit} s"
    return box["outcome"]


# ---- D5: deep nesting ----------------------------------------------------------------------------
@pytest.mark.parametrize("status, body, head", [
    (200, b"[" * 200_000, JSON_HEAD),
    (400, b'{"a":' * 100_000, JSON_HEAD),
    (503, b'{"a":' * 100_000, "Content-Type: text/html\r\n"),
])
def test_deep_nesting_is_no_body(serve: Any, status: int, body: bytes, head: str) -> None:
    server = serve(answer(status, body, head))
    outcome = fast_client(server.url()).get_me()
    assert outcome.status == status and outcome.body is None and outcome.error_code is None


def test_deep_nesting_backs_the_cycle_off(serve: Any, sync_env: Any) -> None:
    server = serve(answer(200, b"[" * 200_000))
    sync_env.profile.settings.set("ingestion.api.base_url", server.url())
    seed_heartbeats(sync_env.conn, 3)
    engine = sync_env.engine()
    result = engine.run_cycle()
    assert engine.last_action is Action.BACKOFF
    assert result.state == "unreachable" and "Unexpected" not in result.detail, result.detail


def test_json_only_with_its_content_type(serve: Any) -> None:
    """A 2xx without application/json is not our server (§10.6); its body is not even parsed."""
    server = serve(answer(200, b'{"emp_id":1,"device":"D","key_prefix":"P"}', "X-Wfh-Api-Version: 1\r\n"))
    assert fast_client(server.url()).get_me().body is None


# ---- D6: size cap and deadline --------------------------------------------------------------------
def test_endless_body_is_cut_at_the_cap(serve: Any) -> None:
    server = serve(endless)
    outcome = in_thread(fast_client(server.url()).get_health)
    assert (outcome.status, outcome.problem) == (None, "too_large")
    assert "answer too large" in outcome.short()


def test_gzip_bomb_is_cut_at_the_decoded_cap(serve: Any) -> None:
    """2 MiB inflated from ~2 KB on the wire: only counting the decoded bytes catches it."""
    bomb = gzip.compress(b" " * (2 << 20))
    assert len(bomb) < client_module.ANSWER_MAX_BYTES // 100
    server = serve(answer(200, bomb, JSON_HEAD + "Content-Encoding: gzip\r\n"))
    outcome = in_thread(fast_client(server.url()).get_me)
    assert (outcome.status, outcome.problem) == (None, "too_large")


def test_huge_content_length_is_refused_before_reading(serve: Any) -> None:
    def head_only(conn: socket.socket, server: RawServer) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\n{JSON_HEAD}Content-Length: 10000000000\r\n\r\n".encode())
        server.closed.wait(30)

    server = serve(head_only)
    outcome = in_thread(fast_client(server.url()).get_me)
    assert outcome.problem == "too_large"


@pytest.mark.parametrize("chunked", [False, True])
def test_dripped_body_hits_the_deadline(serve: Any, chunked: bool) -> None:
    server = serve(drip(chunked))
    client = fast_client(server.url())
    started = time.monotonic()
    outcome = in_thread(client.get_me)
    assert (outcome.status, outcome.problem) == (None, "too_slow")
    assert "answer too slow" in outcome.short()
    assert time.monotonic() - started >= client.answer_seconds  # the deadline, not an earlier read timeout


def test_dripped_body_over_tls_hits_the_deadline(serve: Any, tmp_path: Path) -> None:
    """The watchdog shuts a TLS socket down as well as a plain one."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(drip(False), context)
    outcome = in_thread(fast_client(server.url("https"), ca_bundle=str(cert)).get_me)
    assert outcome.problem == "too_slow"


def test_dripped_answer_backs_the_cycle_off(serve: Any, sync_env: Any) -> None:
    server = serve(drip(False))
    settings = sync_env.profile.settings
    settings.set("ingestion.api.base_url", server.url())
    settings.set("ingestion.api.connect_timeout_seconds", 0.25)
    settings.set("ingestion.api.read_timeout_seconds", 1.0)
    seed_heartbeats(sync_env.conn, 3)
    engine = sync_env.engine()
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", engine.run_cycle()), daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the cycle is stuck on a dripped answer"
    assert engine.last_action is Action.BACKOFF
    assert box["result"].state == "unreachable" and "answer too slow" in box["result"].detail


def test_connection_test_names_the_oversized_answer(serve: Any) -> None:
    server = serve(endless)
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.setdefault("report", check_connection(fast_client(server.url()))),
                              daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert box["report"]["problem"] == "too_large" and "too large" in box["report"]["message"]


def test_pages_get_their_own_larger_cap(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A §5.7 page may be far over the 1 MiB of other answers (the restore reads 5,000 records a page)."""
    page = json.dumps({"records": [{"notes": "x" * 1000}] * 2000, "next_since": "A"}).encode()
    assert client_module.ANSWER_MAX_BYTES < len(page) < client_module.PAGE_MAX_BYTES
    server = serve(answer(200, page))
    outcome = fast_client(server.url()).get_changes("weeks", None, 5000)
    assert outcome.status == 200 and len(outcome.body["records"]) == 2000
    monkeypatch.setattr(client_module, "PAGE_MAX_BYTES", len(page) - 1)
    outcome = in_thread(lambda: fast_client(server.url()).get_changes("weeks", None, 5000))
    assert outcome.problem == "too_large"


# ---- D8: the server's error text -----------------------------------------------------------------
@pytest.mark.parametrize("code", ["E" * 200_000 + "\n\x1b[2Jfake", "<b>bold</b>", "<img src=http://x/y.png>",
                                  "a" * 65, "Unauthorized", ""])
def test_foreign_error_code_is_dropped(code: str) -> None:
    outcome = Outcome(400, dict(JSON), {"error": code})
    assert outcome.error_code is None and outcome.short() == "HTTP 400"


@pytest.mark.parametrize("code", ["malformed_json", "sha256_mismatch", "internal"])
def test_contract_error_code_is_kept(code: str) -> None:
    assert Outcome(422, dict(JSON), {"error": code}).short() == f"HTTP 422 {code}"


def test_huge_error_code_stays_out_of_status_and_log(serve: Any, sync_env: Any) -> None:
    server = serve(answer(400, json.dumps({"error": "E" * 200_000 + "<b>x</b>"}).encode()))
    sync_env.profile.settings.set("ingestion.api.base_url", server.url())
    seed_heartbeats(sync_env.conn, 3)
    result = sync_env.engine().run_cycle()
    longest = sync_env.conn.execute("SELECT MAX(LENGTH(error)) FROM sync_log").fetchone()[0]
    assert len(result.detail) < 300 and longest < 300 and "<b>" not in result.detail


def test_status_label_and_tooltip_are_plain_text(qtbot: Any, profile: Any) -> None:
    from PySide6.QtCore import Qt

    from app.ui.sync.actions import SyncActions
    from app.ui.sync.panel import SyncPanel

    panel = SyncPanel(profile.db, SyncActions())
    qtbot.addWidget(panel)
    hostile = "<img src=http://evil/x.png><b>heartbeats paused</b>"
    panel.show_status(SyncStatus(SyncState.ERROR, SyncReason.STREAM_PAUSED, hostile))
    for label in (panel.state_label, panel.last_label, panel.setup_hint):
        assert label.textFormat() is Qt.TextFormat.PlainText
    assert panel.state_label.text() == hostile
    assert "<img" not in panel.state_label.toolTip() and "&lt;img src=http://evil/x.png&gt;" in \
        panel.state_label.toolTip()
