"""uvicorn's httptools protocol with the connection rules uvicorn lacks (INGESTION_API.md §8.3).

uvicorn closes a keep-alive connection after its timeout but never one that has not finished its
request headers, so idle or slow-header (slow-loris) clients could pile up until its concurrency
limit answered everyone with a plain-text 503. Here:

- request headers must be complete within ``HEADER_SECONDS`` of the first byte of the request (or of
  the connection), however slowly the bytes trickle in, and within ``MAX_HEADER_BYTES`` (httptools
  sets no limit of its own: 431 and close);
- a request body that stops moving for ``BODY_IDLE_SECONDS`` closes the connection;
- above ``MAX_CONNECTIONS`` open connections per worker, the oldest connection that is not serving a
  request (idle keep-alive, or still sending headers) is closed to make room.

Too many requests in progress is answered by ``ContractMiddleware`` with the contract's JSON 503
and ``Retry-After`` (uvicorn's own ``limit_concurrency`` stays off).
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_SECONDS = 10.0
BODY_IDLE_SECONDS = 30.0
MAX_CONNECTIONS = 2_048
MAX_HEADER_BYTES = 65_536  # request line and all headers of one request
_TOO_LARGE_BODY = b'{"error":"payload_too_large","detail":"request headers too large"}'
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
              b"content-length: %d\r\nx-wfh-api-version: 1\r\nconnection: close\r\n\r\n%s"
              % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY))
_SPARE_FDS = 128  # database pool, screenshot files, logs


def connection_budget(wanted: int = MAX_CONNECTIONS) -> int:
    """Raise the soft open-files limit to the hard one, and keep connections below it: at the limit
    ``accept`` fails and nobody gets in, which is worse than closing an idle client."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    if soft != target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(16, min(wanted, soft - _SPARE_FDS))


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for headers and bodies and a per-worker connection
    budget that closes the oldest idle connection first, so idle or slow clients cannot starve the others."""

    header_seconds = HEADER_SECONDS
    body_idle_seconds = BODY_IDLE_SECONDS
    max_connections = connection_budget()
    # Open connections of this worker in the order they were made (a dict keeps insertion order).
    _open: ClassVar[dict[GuardedHttpToolsProtocol, None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_headers = True  # between the start of a request (or connection) and its headers
        self._header_bytes = 0
        self._reading_body = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._open[self] = None
        self._arm(self.header_seconds)
        if len(self._open) > self.max_connections:
            self._evict_one()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._open.pop(self, None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._in_headers and self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self.transport.write(_TOO_LARGE)
            self.transport.close()
            return
        if self._reading_body and not self.transport.is_closing():
            self._arm(self.body_idle_seconds)  # the body moved: its idle clock starts again

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_headers:  # a further request on a kept-alive connection
            self._in_headers = True
            self._header_bytes = 0
            self._arm(self.header_seconds)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._reading_body = True
        self._arm(self.body_idle_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()  # the application has the request; keep-alive timing is uvicorn's again
        super().on_message_complete()

    @property
    def serving(self) -> bool:
        """A request whose headers arrived and whose response is not complete yet."""
        return not self._in_headers and self.cycle is not None and not self.cycle.response_complete

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and (self._in_headers or self._reading_body):
            self.transport.close()

    def _evict_one(self) -> None:
        for other in self._open:
            if other is not self and not other.serving and not other.transport.is_closing():
                other.transport.close()
                return
