"""Run the real ingestion server (``wfh-ingest serve``) on a free 127.0.0.1 port as a subprocess, and
create keys with the same code path as ``wfh-ingest create-key``. Reusable by end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.pg import SCHEMA, connect, free_port

READY_LINE = "Application startup complete"


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the test process dies, even by a crash that skips every teardown."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class ServerProcess:
    """A running ``wfh-ingest serve``; ``log_lines`` holds everything it wrote to stderr/stdout."""

    process: subprocess.Popen[str]
    url: str
    log_lines: list[str] = field(default_factory=list)

    @property
    def log_text(self) -> str:
        return "".join(self.log_lines)

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return int(self.process.returncode)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_env(database_url: str, screenshot_dir: str | Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFH_INGEST_")}
    env.update({
        "WFH_INGEST_DATABASE_URL": database_url,
        "WFH_INGEST_SCREENSHOT_DIR": str(screenshot_dir),
        "WFH_INGEST_LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(overrides)
    return env


def start_server(database_url: str, screenshot_dir: str | Path, *, workers: int = 1, port: int | None = None,
                 timeout: float = 30, **env_overrides: str) -> ServerProcess:
    """Start ``wfh-ingest serve`` and return once every worker reported startup and /health answers.

    Readiness is read from uvicorn's startup line, so keep ``WFH_INGEST_LOG_LEVEL`` at info or debug.
    """
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingestion.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=server_env(database_url, screenshot_dir, **env_overrides),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )
    server = ServerProcess(process, f"http://127.0.0.1:{port}")
    ready = threading.Event()

    def drain() -> None:
        started = 0
        assert process.stdout is not None
        for line in process.stdout:
            server.log_lines.append(line)
            if READY_LINE in line:
                started += 1
                if started >= workers:
                    ready.set()
        ready.set()  # process ended: wake the waiter, which then sees the exit code

    threading.Thread(target=drain, name=f"wfh-ingest-log-{port}", daemon=True).start()
    if not ready.wait(timeout) or process.poll() is not None:
        server.stop()
        raise RuntimeError(f"wfh-ingest serve did not start:\n{server.log_text[-4000:]}")
    response = httpx.get(f"{server.url}/health", timeout=10)
    if response.status_code not in (200, 503):
        server.stop()
        raise RuntimeError(f"/health answered {response.status_code}")
    return server


def create_key(database_url: str, emp_id: int, device: str, expires_days: int | None = None,
               schema: str = SCHEMA) -> str:
    """A new key for (emp_id, device), created exactly as ``wfh-ingest create-key`` does."""
    from ingestion.keys import create_key as create

    with connect(database_url, schema) as conn:
        return create(conn, emp_id, device, expires_days).key
