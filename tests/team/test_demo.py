"""``wfh-ingest demo`` end to end: a throwaway cluster, the sample team loaded through the ingest API,
working demo logins, and nothing left behind after Ctrl+C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ingestion import demo
from tests.support.pg import free_port


def test_missing_postgres_tools_give_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(demo, "PG_FOLDERS", ["/nonexistent/*/bin"])
    with pytest.raises(demo.DemoError, match=r"initdb not found .* install the PostgreSQL server .*"
                                              r"WFH_INGEST_DATABASE_URL"):
        demo.find_pg_tool("initdb")


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder the postgres user can enter (initdb runs as postgres when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="wfh-demo-test-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_demo_serves_a_sample_team_and_cleans_up(open_tmp: Path) -> None:
    tmp_path = open_tmp
    try:
        demo.find_pg_tool("initdb")
    except demo.DemoError as exc:
        pytest.skip(str(exc))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFH_INGEST_")}
    env["TMPDIR"] = str(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "ingestion.cli", "demo", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("press Ctrl+C"):
                ready.set()
        ready.set()  # the process ended: stop waiting

    threading.Thread(target=read, daemon=True).start()
    try:
        ready.wait(240)
        text = "".join(lines)
        assert "press Ctrl+C" in text, text + (process.stderr.read() if process.poll() is not None else "")
        assert f"http://127.0.0.1:{port}/login" in text
        password = re.search(r"manager\s+manager@demo\.invalid\s+(\S+)", text)
        assert password
        http = requests.Session()
        page = http.get(f"http://127.0.0.1:{port}/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        team = http.post(f"http://127.0.0.1:{port}/login", timeout=30, data={
            "email": "manager@demo.invalid", "password": password.group(1), "csrf_token": token.group(1)})
        assert team.status_code == 200 and "Demo team" in team.text
        for name in ("Alice Martin", "Bruno Costa", "Chitra Rao", "Dan Okafor"):
            assert name in team.text
        assert "not synced for over an hour" in team.text  # Dan's laptop stopped three hours ago
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    assert not list(tmp_path.glob("wfh-demo-*")), "the temporary cluster was left behind"
