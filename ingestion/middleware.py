"""Contract headers on every response, request ids, one log line per request, request metrics, the
in-flight request cap and the last-resort 500 (§3.2, §3.5, §8.3, §11.4). Pure ASGI, so it adds little
per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingestion import API_VERSION
from ingestion.errors import dumps
from ingestion.metrics import count_request

log = logging.getLogger("ingestion.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_KEYLIKE = re.compile(r"(wfh_[A-Za-z0-9]{8}_)[A-Za-z0-9_-]+")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def scrub(text: str) -> str:
    """Never let anything that looks like a key reach the log; keep its public prefix only."""
    return _KEYLIKE.sub(r"\1***", text) if "wfh_" in text else text


MAX_IN_FLIGHT = 256
BUSY_RETRY_AFTER = 1


class ContractMiddleware:
    """Contract headers, request id, access log line, metrics and the last-resort 500 on every request."""

    def __init__(self, app: ASGIApp, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = str(uuid.uuid4())
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Wfh-Api-Version"] = API_VERSION
                headers["X-Request-Id"] = request_id
                headers.setdefault("Cache-Control", "no-store")  # a route may be stricter (screenshots)
            await send(message)

        try:
            self.in_flight += 1
            if self.in_flight > self.max_in_flight:  # the contract's 503, not uvicorn's plain text
                await self._busy(send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("internal error request_id=%s", request_id)
            if not response_started:
                body = dumps({"error": "internal"})
                await send_with_headers({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
        finally:
            self.in_flight -= 1
            self._record(scope, state, status, started)

    @staticmethod
    async def _busy(send: Send) -> None:
        body = dumps({"error": "unavailable", "detail": "too many requests in progress"})
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(BUSY_RETRY_AFTER).encode())]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _record(scope: Scope, state: dict[str, Any], status: int, started: float) -> None:
        route = scope.get("route")
        label = getattr(route, "path", None) or "unmatched"
        count_request(label, scope["method"], status)
        if scope["path"] == "/metrics":
            return
        log.info(
            "request_id=%s prefix=%s device_id=%s %s %s %s records=%s accepted=%s duplicates=%s"
            " rejected=%s ms=%.1f ua=%r",
            state.get("request_id"), state.get("key_prefix") or "-", state.get("device_id") or "-",
            scope["method"], scrub(scope["path"])[:256], status, state.get("records", "-"),
            state.get("accepted", "-"), state.get("duplicates", "-"), state.get("rejected", "-"),
            (time.perf_counter() - started) * 1000, scrub(_header(scope, b"user-agent"))[:256],
        )
