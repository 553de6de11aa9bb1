"""HTTP side of the sync: one ``requests.Session``, the contract's headers, timeouts and checks (§3, §10.5, §10.6).

Never follows redirects, always verifies TLS (optionally against a CA bundle), refuses to send the
key over plain http:// except to loopback, and treats any 2xx that does not look like our server
(a captive portal's HTML, a wrong count) as a network error. An answer is read with a size cap and a
deadline, so a hostile or broken server can neither stall a cycle nor fill the memory.
"""

from __future__ import annotations

import gzip
import json
import platform
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from app.errors import ConfigError
from app.sync.policy import parse_retry_after
from app.version import __version__

LOOPBACK = ("localhost", "127.0.0.1", "::1")
ANSWER_MAX_BYTES = 1 << 20  # ingest, screenshot, /me, /health: 1,000 rejections of ~250 bytes fit four times
# §5.7 pages (limit up to 5,000): a task of the contract's largest size (6 × 10,000 + 4 × 40 characters, at most
# 4 UTF-8 bytes each) is ~241 KB, so 1,000 of them (the sync's page) fit; typical records are well under 1 KB.
PAGE_MAX_BYTES = 256 << 20
READ_CHUNK = 64 << 10
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")  # the contract's codes (§3.5, sha256_mismatch); others are dropped


class _BadAnswer(Exception):
    """An answer cut off by the size cap or the deadline: a network-class failure (``problem``, text)."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def user_agent() -> str:
    text = f"WFH-Agent/{__version__} ({platform.system() or 'Unknown'} {platform.release() or ''})".strip()
    return text[:256]


@dataclass
class Outcome:
    """One request's result. ``status`` None = no HTTP answer; ``problem`` names why (dns, refused, tls, timeout)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw: bytes = b""
    problem: str | None = None
    message: str = ""
    duration_ms: int = 0
    request_records: int = 0
    sent_bytes: int = 0

    @property
    def error_code(self) -> str | None:
        """The server's ``error``, only if it looks like a contract code: it ends up in the status and sync_log."""
        code = self.body.get("error") if isinstance(self.body, dict) else None
        return code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def short(self) -> str:
        if self.status is None:
            return f"{self.problem or 'network'}: {self.message}"[:300]
        code = self.error_code
        return f"HTTP {self.status}" + (f" {code}" if code else "")


def classify_exception(exc: BaseException) -> str:
    """Name the network problem the way Test connection shows it."""
    text = repr(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout"
    if any(s in text for s in ("NameResolution", "Name or service not known", "getaddrinfo",
                               "nodename nor servname", "Temporary failure in name resolution")):
        return "dns"
    if "refused" in text.lower():
        return "refused"
    return "network"


def _json_type(outcome: Outcome) -> bool:
    return (outcome.header("Content-Type") or "").split(";")[0].strip().lower() == "application/json"


def is_json(outcome: Outcome) -> bool:
    return _json_type(outcome) and outcome.header("X-Wfh-Api-Version") == "1"


def valid_ingest(outcome: Outcome, sent: int) -> bool:
    body = outcome.body
    if not is_json(outcome) or not isinstance(body, dict):
        return False
    acc, dup, rej = body.get("accepted"), body.get("duplicates"), body.get("rejected")
    if not (type(acc) is int and type(dup) is int and isinstance(rej, list)) or acc < 0 or dup < 0:
        return False
    if acc + dup + len(rej) != sent:
        return False
    seen: set[int] = set()
    for item in rej:
        if not isinstance(item, dict) or type(item.get("index")) is not int or not isinstance(item.get("error"), str):
            return False
        if item["index"] in seen or not 0 <= item["index"] < sent:
            return False
        seen.add(item["index"])
    return True


def valid_screenshot(outcome: Outcome, client_id: str) -> bool:
    body = outcome.body
    return (is_json(outcome) and isinstance(body, dict) and body.get("result") in ("created", "duplicate")
            and str(body.get("client_id", "")).lower() == client_id.lower())


def valid_page(outcome: Outcome, limit: int) -> bool:
    """A §5.7 answer: ``records`` (at most ``limit`` objects) and ``next_since`` (a string, or null)."""
    body = outcome.body
    if not is_json(outcome) or not isinstance(body, dict):
        return False
    records, cursor = body.get("records"), body.get("next_since")
    return (isinstance(records, list) and len(records) <= limit and all(isinstance(r, dict) for r in records)
            and (cursor is None or (isinstance(cursor, str) and 0 < len(cursor) <= 1024)))


def valid_me(outcome: Outcome) -> bool:
    body = outcome.body
    return (is_json(outcome) and isinstance(body, dict) and type(body.get("emp_id")) is int
            and isinstance(body.get("device"), str) and isinstance(body.get("key_prefix"), str))


class ApiClient:
    """Blocking calls; the worker runs them on a helper thread so quitting never waits for a socket."""

    def __init__(self, base_url: str, api_key: str | None, *, connect_timeout: float = 5, read_timeout: float = 30,
                 verify_tls: bool = True, ca_bundle: str | None = None, gzip_min_bytes: int = 4096) -> None:
        base = (base_url or "").strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("server URL is not set" if not base else f"server URL is not http(s): {base}")
        loopback = parts.hostname in LOOPBACK
        if parts.scheme == "http" and not loopback:
            raise ConfigError("refusing to send the API key over http:// to a non-loopback host; use https://")
        self.base_url = base
        self.api_key = api_key
        self.timeout = (float(connect_timeout), float(read_timeout))
        # requests' read timeout is per socket read: a server dripping a byte at a time never trips it
        self.answer_seconds = float(connect_timeout) + 2 * float(read_timeout)
        self.gzip_min_bytes = int(gzip_min_bytes)
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or .netrc credentials picked up behind our back
        if ca_bundle:
            self.session.verify = ca_bundle
        else:
            self.session.verify = bool(verify_tls or not loopback)
        self.session.headers.update({"User-Agent": user_agent(), "Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    def _headers(self, extra: dict[str, str] | None = None, *, auth: bool = True) -> dict[str, str]:
        headers = dict(extra or {})
        if auth:
            if not self.api_key:
                raise ConfigError("no API key is set")
            headers["X-Api-Key"] = self.api_key
        return headers

    def _send(self, method: str, path: str, max_bytes: int = ANSWER_MAX_BYTES, **kwargs: Any) -> Outcome:
        started = time.monotonic()
        try:
            resp = self.session.request(method, self.base_url + path, allow_redirects=False,
                                        timeout=self.timeout, stream=True, **kwargs)
            raw = self._read(resp, max_bytes)
        except _BadAnswer as exc:
            return Outcome(None, problem=exc.problem, message=str(exc),
                           duration_ms=int((time.monotonic() - started) * 1000))
        except requests.exceptions.RequestException as exc:
            return Outcome(None, problem=classify_exception(exc), message=type(exc).__name__,
                           duration_ms=int((time.monotonic() - started) * 1000))
        outcome = Outcome(resp.status_code, dict(resp.headers), raw=raw,
                          duration_ms=int((time.monotonic() - started) * 1000))
        if raw and _json_type(outcome):  # a proxy's or portal's page is never parsed; statuses decide (§3.5)
            try:
                outcome.body = json.loads(raw.decode("utf-8"))
            except Exception:  # RecursionError for deep nesting, ValueError, UnicodeDecodeError: not our server
                outcome.body = None
        return outcome

    def _read(self, resp: requests.Response, max_bytes: int) -> bytes:
        """The body, decoded (gzip inflated), of at most ``max_bytes`` and complete within ``answer_seconds``.

        A watchdog shuts the socket down at the deadline, because a blocked read only returns when its whole
        chunk (or the read timeout) is reached; counting the decoded chunks caps a gzip bomb too."""
        deadline = time.monotonic() + self.answer_seconds
        too_large = _BadAnswer("too_large", f"answer too large (over {max_bytes:,} bytes)")
        too_slow = _BadAnswer("too_slow", f"answer too slow (not complete within {self.answer_seconds:g} s)")
        watchdog = threading.Timer(self.answer_seconds, _cut, args=(resp,))
        watchdog.daemon = True
        try:
            length = resp.headers.get("Content-Length", "")
            if not resp.headers.get("Content-Encoding") and length.isascii() and length.isdigit() \
                    and (len(length) > 15 or int(length) > max_bytes):
                raise too_large
            watchdog.start()
            chunks, size = [], 0
            try:
                for chunk in resp.iter_content(READ_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise too_large
                    if time.monotonic() > deadline:
                        raise too_slow
                    chunks.append(chunk)
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if time.monotonic() >= deadline:  # the watchdog cut the socket
                    raise too_slow from None
                if isinstance(exc, requests.exceptions.RequestException):
                    raise
                raise requests.exceptions.ConnectionError(f"answer broke off: {type(exc).__name__}") from exc
            return b"".join(chunks)
        finally:
            watchdog.cancel()
            resp.close()

    def build_ingest(self, records_body: bytes) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if len(records_body) >= self.gzip_min_bytes:
            return gzip.compress(records_body, compresslevel=6, mtime=0), {**headers, "Content-Encoding": "gzip"}
        return records_body, headers

    def post_records(self, stream: str, body: bytes, count: int) -> Outcome:
        data, headers = self.build_ingest(body)
        outcome = self._send("POST", f"/api/v1/ingest/{stream}", data=data, headers=self._headers(headers))
        outcome.request_records, outcome.sent_bytes = count, len(data)
        return outcome

    def post_screenshot(self, meta: dict[str, Any], content: bytes, filename: str) -> Outcome:
        meta_text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
        files = {"meta": (None, meta_text), "file": (filename, content, "application/octet-stream")}
        outcome = self._send("POST", "/api/v1/screenshots", files=files, headers=self._headers())
        outcome.request_records, outcome.sent_bytes = 1, len(content)
        return outcome

    def get_changes(self, stream: str, since: str | None, limit: int) -> Outcome:
        """v1.2 §5.7: one page of the employee's ``weeks`` or ``tasks`` after the cursor ``since``."""
        params: dict[str, str | int] = {"limit": int(limit)}
        if since is not None:
            params["since"] = since
        return self._send("GET", f"/api/v1/me/{stream}", PAGE_MAX_BYTES, params=params, headers=self._headers())

    def get_me(self) -> Outcome:
        return self._send("GET", "/api/v1/me", headers=self._headers())

    def get_health(self) -> Outcome:
        return self._send("GET", "/health", headers=self._headers(auth=False))


def _cut(resp: requests.Response) -> None:
    """Watchdog: shut the socket down so a read blocked in another thread returns at once (urllib3 ≥ 2.3)."""
    try:
        resp.raw.shutdown()
    except (AttributeError, ValueError, RuntimeError, OSError):  # already finished and released, or no socket
        pass


def client_from(api: dict[str, Any], key: str | None) -> ApiClient:
    """An ApiClient from the ``ingestion.api`` settings block (raises ConfigError for unsafe settings)."""
    return ApiClient(api.get("base_url", ""), key, connect_timeout=api.get("connect_timeout_seconds", 5),
                     read_timeout=api.get("read_timeout_seconds", 30), verify_tls=api.get("verify_tls", True),
                     ca_bundle=api.get("ca_bundle"), gzip_min_bytes=api.get("gzip_min_bytes", 4096))


PROBLEM_TEXT = {
    "dns": "Server name not found (DNS)",
    "refused": "Connection refused — is the server running on that port?",
    "tls": "TLS certificate not trusted or TLS failed",
    "timeout": "The server did not answer in time (timeout)",
    "network": "Network error",
    "too_large": "The server's answer was too large; is this the WFH ingestion server?",
    "too_slow": "The server's answer did not arrive in time (too slow)",
}


def check_connection(client: ApiClient, *, emp_id: int | None = None, now: float | None = None) -> dict[str, Any]:
    """Test connection (§10.10): ``/health`` then ``/api/v1/me``; says exactly what failed.

    Returns ``{"ok", "message", "problem", "identity", "warnings", "status"}``; ``problem`` is one of
    dns, refused, tls, timeout, network, http, unauthorized, forbidden, rate_limited, invalid.
    """
    report: dict[str, Any] = {"ok": False, "message": "", "problem": None, "identity": None, "warnings": [],
                              "status": None}
    health = client.get_health()
    if health.status is None:
        report.update(problem=health.problem, message=PROBLEM_TEXT.get(health.problem or "network", "Network error"))
        return report
    if health.status not in (200, 503) or not is_json(health):
        report.update(problem="http", status=health.status,
                      message=f"/health answered HTTP {health.status}; is this the WFH ingestion server?")
        return report
    if health.status == 503:
        report["warnings"].append("The server reports its database as unavailable")
    me = client.get_me()
    report["status"] = me.status
    if me.status is None:
        report.update(problem=me.problem, message=PROBLEM_TEXT.get(me.problem or "network", "Network error"))
    elif me.status == 401:
        report.update(problem="unauthorized", message="API key rejected (HTTP 401)")
    elif me.status == 403:
        report.update(problem="forbidden", message="API key belongs to another employee (HTTP 403)")
    elif me.status == 429:
        wait = parse_retry_after(me.header("Retry-After"), time.time() if now is None else now)
        report.update(problem="rate_limited",  # the number, never the server's raw header text
                      message=f"Rate limited; try again in {f'{wait:.0f}' if wait is not None else 'a few'} s")
    elif me.status != 200 or not valid_me(me):
        report.update(problem="http", message=f"/api/v1/me answered HTTP {me.status}")
    else:
        body = me.body
        report.update(ok=True, identity={"emp_id": body["emp_id"], "device": body["device"],
                                         "key_prefix": body["key_prefix"], "server_time": body.get("server_time")},
                      message=f"Connected as employee {body['emp_id']}, device {body['device']} "
                              f"(key {body['key_prefix']})")
        if emp_id and emp_id != body["emp_id"]:
            report["warnings"].append(f"config.json has emp_id {emp_id} but the key belongs to {body['emp_id']}")
        skew = _clock_skew(body.get("server_time"), time.time() if now is None else now)
        if skew is not None and abs(skew) > 60:
            report["warnings"].append(f"Clock differs from server by {skew:+.0f} s")
    return report


def _clock_skew(server_time: Any, now: float) -> float | None:
    from datetime import datetime

    if not isinstance(server_time, str):
        return None
    try:
        return now - datetime.fromisoformat(server_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
