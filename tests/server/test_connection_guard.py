"""GuardedHttpToolsProtocol's connection cap (ingestion/server.py): above the cap the oldest
connection that is not serving a request is closed, never one whose request is in progress."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import uvicorn
from uvicorn.server import ServerState

from ingestion.server import GuardedHttpToolsProtocol


class _Capped(GuardedHttpToolsProtocol):
    max_connections = 3
    _open: ClassVar[dict[GuardedHttpToolsProtocol, None]] = {}


async def _scenario() -> dict[str, Any]:
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    config = uvicorn.Config(app, http=_Capped, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Capped(config=config, server_state=state, app_state={}), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        busy_r, busy_w = await asyncio.open_connection("127.0.0.1", port)  # oldest, but serving
        busy_w.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await busy_w.drain()
        await asyncio.sleep(0.1)
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        await asyncio.sleep(0.1)
        newest = await asyncio.open_connection("127.0.0.1", port)  # the 4th: one idle one must go
        closed = await asyncio.wait_for(idle[0][0].read(), 2)  # b"" = closed by the server
        release.set()
        answer = await asyncio.wait_for(busy_r.read(1024), 2)
        newest[1].write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await newest[1].drain()
        fresh = await asyncio.wait_for(newest[0].read(1024), 2)
        for _, writer in [*idle, newest, (busy_r, busy_w)]:
            writer.close()
        return {"closed": closed, "busy": answer, "fresh": fresh}
    finally:
        server.close()


def test_oldest_idle_connection_is_dropped_first() -> None:
    result = asyncio.run(_scenario())
    assert result["closed"] == b""
    assert result["busy"].startswith(b"HTTP/1.1 200") and result["busy"].endswith(b"ok")
    assert result["fresh"].startswith(b"HTTP/1.1 200")
