"""A small fault-injecting HTTP proxy on 127.0.0.1 for the end-to-end tests.

Each request is forwarded to the real ``wfh-ingest`` server unless a rule says otherwise. Rules can
answer by themselves (500, 503 + Retry-After, 413 ...), delay, or forward and then drop the
response (the server committed, the client never hears it). Every request's arrival time and
record count is kept, so tests can assert timing and batch sizes.
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

JSON = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}


@dataclass
class Hit:
    at: float
    method: str
    path: str
    records: int
    outcome: str = "forwarded"


# A rule gets (hit, body) and returns None (forward), "drop" (forward, then close without answering),
# ("delay", seconds) (forward after sleeping) or (status, headers, body) (answer without forwarding).
Rule = Callable[[Hit, Any], Any]


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    default: Rule | None = None

    def __post_init__(self) -> None:
        proxy = self
        up = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = None
                if self.headers.get("Content-Type", "").startswith("application/json") and raw:
                    data = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                    try:
                        body = json.loads(data)
                    except ValueError:
                        body = None
                records = len(body["records"]) if isinstance(body, dict) and isinstance(body.get("records"), list) \
                    else (1 if self.path.endswith("screenshots") else 0)
                hit = Hit(time.monotonic(), self.command, self.path, records)
                proxy.hits.append(hit)
                rule = proxy.rules.pop(0) if proxy.rules else proxy.default
                verdict = rule(hit, body) if rule else None
                if isinstance(verdict, tuple) and verdict and isinstance(verdict[0], int):
                    status, headers, payload = verdict
                    hit.outcome = str(status)
                    return self._answer(status, headers, payload)
                if isinstance(verdict, tuple) and verdict[0] == "delay":
                    hit.outcome = "delayed"
                    time.sleep(verdict[1])
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=raw, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                conn.close()
                if verdict == "drop":
                    hit.outcome = "dropped"
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._answer(resp.status, {k: v for k, v in resp.getheaders()
                                           if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                                                "date", "server")}, payload)

            def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (read timeout): what a real slow server sees too

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients that gave up
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def ingest_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.path.startswith("/api/v1/ingest/")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def answer(status: int, error: str, **headers: str) -> Rule:
    payload = json.dumps({"error": error}).encode()
    return lambda hit, body: (status, {**JSON, **headers}, payload)
