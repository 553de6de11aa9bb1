"""``wfh-ingest demo`` end to end: a throwaway cluster, the sample team loaded through the ingest API,
working demo logins, and nothing left behind whichever way it is stopped (Ctrl+C, SIGTERM, SIGHUP, during
initdb or during the imports)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from ingestion import demo
from tests.support.pg import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_missing_postgres_tools_give_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(demo, "PG_FOLDERS", ["/nonexistent/*/bin"])
    with pytest.raises(demo.DemoError, match=r"initdb not found .* install the PostgreSQL server .*"
                                              r"WFH_INGEST_DATABASE_URL"):
        demo.find_pg_tool("initdb")


@pytest.fixture
def pg_tools() -> None:
    try:
        demo.find_pg_tool("initdb")
    except demo.DemoError as exc:
        pytest.skip(str(exc))


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not count)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class DemoRun:
    """A ``wfh-ingest demo`` subprocess whose stdout and stderr are collected as they come."""

    process: subprocess.Popen[str]
    port: int
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 240) -> str:
        self.ready.wait(timeout)
        text = "".join(self.out)
        assert "press Ctrl+C" in text, text + "".join(self.err)
        return text

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.drained()
        return code

    def drained(self) -> None:
        """Wait until the readers have every line the ended process wrote (they stop at the pipes' end)."""
        for reader in self.readers:
            reader.join(30)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start_demo(tmp: Path, env_overrides: dict[str, str] | None = None,
               argv: list[str] | None = None) -> DemoRun:
    """Start the demo with TMPDIR in ``tmp`` and no WFH_INGEST_* of the caller unless given."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFH_INGEST_")}
    env["TMPDIR"] = str(tmp)
    env.update(env_overrides or {})
    command = argv or [sys.executable, "-m", "ingestion.cli", "demo", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    run = DemoRun(process, port)

    def read_out() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.out.append(line)
            if line.startswith("press Ctrl+C"):
                run.ready.set()
        run.ready.set()  # the process ended: stop waiting

    def read_err() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            run.err.append(line)

    run.readers = [threading.Thread(target=read, daemon=True) for read in (read_out, read_err)]
    for reader in run.readers:
        reader.start()
    return run


def login(base: str, text: str, role: str) -> tuple[requests.Session, requests.Response]:
    password = re.search(rf"{role}\s+{role}@demo\.invalid\s+(\S+)", text)
    assert password, text
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = http.post(f"{base}/login", timeout=30, data={
        "email": f"{role}@demo.invalid", "password": password.group(1), "csrf_token": token.group(1)})
    assert answer.status_code == 200, answer.text
    return http, answer


def test_demo_serves_a_sample_team_and_cleans_up(open_tmp: Path, pg_tools: None) -> None:
    run = start_demo(open_tmp)
    try:
        text = run.wait_ready()
        assert f"{run.base}/login" in text
        assert "throwaway database and its files are removed" in text
        http, team = login(run.base, text, "manager")
        assert "Demo team" in team.text
        for name in ("Alice Martin", "Bruno Costa", "Chitra Rao", "Dan Okafor"):
            assert name in team.text
        assert "not synced for over an hour" in team.text  # Dan's laptop stopped three hours ago
        team_id = re.search(r"/teams/(\d+)", team.url)
        assert team_id, team.url
        year, week, _ = datetime.now(UTC).isocalendar()
        logged = http.get(f"{run.base}/teams/{team_id.group(1)}/logged-work", timeout=30).text
        assert "No weeks logged" not in logged and f"{year}-W" in logged
        for name in ("Alice Martin", "Bruno Costa", "Chitra Rao", "Dan Okafor"):
            assert name in logged
        own = http.get(f"{run.base}/employees/9001/logged-work", timeout=30).text
        assert "No weeks logged" not in own and own.count('class="title week-label"') >= 2
    finally:
        code = run.stop(signal.SIGINT)
    assert code == 0
    assert "demo stopped; temporary files removed" in "".join(run.err)
    assert not list(open_tmp.glob("wfh-demo-*")), "the temporary cluster was left behind"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_stop_signals_remove_the_cluster(open_tmp: Path, pg_tools: None, sig: int) -> None:
    """uvicorn re-raises SIGTERM with the default action after its shutdown, and SIGHUP has no handler:
    either killed the demo before its clean-up, leaving PostgreSQL running and its folder behind."""
    run = start_demo(open_tmp)
    postmaster = 0
    try:
        run.wait_ready()
        (folder,) = open_tmp.glob("wfh-demo-*")
        postmaster = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        assert _alive(postmaster)
        code = run.stop(sig)
        assert code == 0, "".join(run.err)
        deadline = time.monotonic() + 10
        while _alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(postmaster), "PostgreSQL of the demo still runs"
        assert not folder.exists(), "the temporary folder was left behind"
        assert "demo stopped; temporary files removed" in "".join(run.err)
    finally:
        run.kill()
        if postmaster and _alive(postmaster):
            os.kill(postmaster, signal.SIGQUIT)


def test_stop_during_initdb_is_quiet_and_leaves_nothing(open_tmp: Path, pg_tools: None) -> None:
    """A stop while initdb runs: no warning about stopping a cluster that never started, no traceback, and
    initdb itself is ended (it used to be SIGKILLed through runuser and go on as an orphan)."""
    tools = open_tmp / "bin"
    tools.mkdir()
    marks = open_tmp / "marks"
    marks.mkdir()
    marks.chmod(0o777)
    fake = tools / "initdb"
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        mkdir -p "$2"
        echo $$ > {marks}/initdb.pid
        exec sleep 120
        """))
    fake.chmod(0o755)
    tools.chmod(0o755)
    run = start_demo(open_tmp, {"PATH": f"{tools}:{os.environ['PATH']}"})
    pid_file = marks / "initdb.pid"
    initdb = 0
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            assert run.process.poll() is None, "".join(run.err)
            time.sleep(0.05)
        initdb = int(pid_file.read_text())
        code = run.stop(signal.SIGINT)
        errors = "".join(run.err)
        assert code == 0, errors
        assert "warning" not in errors and "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
        assert "demo stopped; temporary files removed" in errors
        deadline = time.monotonic() + 10
        while _alive(initdb) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(initdb), "initdb was left running"
        assert not list(open_tmp.glob("wfh-demo-*")), "the temporary folder was left behind"
    finally:
        run.kill()
        if initdb and _alive(initdb):
            os.kill(initdb, signal.SIGKILL)


def test_stop_during_the_imports_is_quiet(open_tmp: Path) -> None:
    """Ctrl+C while the server's modules are imported (the first second of a run): a clean stop."""
    driver = textwrap.dedent("""\
        import os, signal, sys
        from ingestion import cli

        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "uvicorn":
                    os.kill(os.getpid(), signal.SIGINT)
                return None

        sys.meta_path.insert(0, Interrupt())
        sys.exit(cli.main(["demo"]))
        """)
    run = start_demo(open_tmp, argv=[sys.executable, "-c", driver])
    try:
        code = run.process.wait(60)
        run.drained()
    finally:
        run.kill()
    errors = "".join(run.err)
    assert code == 0, errors
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
    assert "demo stopped" in errors
    assert not list(open_tmp.glob("wfh-demo-*")), "the temporary folder was left behind"
