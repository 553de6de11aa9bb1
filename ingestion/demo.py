"""``wfh-ingest demo``: see the team view at once. Uses WFH_INGEST_DATABASE_URL when set, otherwise a
throwaway PostgreSQL cluster in a temporary folder (initdb/pg_ctl from the PATH or PostgreSQL's usual
install folders); migrates, serves, loads a generated sample team through the real ingest API and prints
the URL and demo logins. Ctrl+C, SIGTERM or SIGHUP stop it and remove the throwaway cluster; in an
existing database the demo data stays, and a second run reuses it instead of adding a second team."""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ingestion.accounts import users
from ingestion.config import Settings
from ingestion.migrate import MigrationError

PG_FOLDERS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin",
              "/opt/homebrew/opt/postgresql*/bin", "/usr/local/opt/postgresql*/bin",
              "/Applications/Postgres.app/Contents/Versions/*/bin",
              "C:/Program Files/PostgreSQL/*/bin"]
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class DemoError(RuntimeError):
    """Something the user has to fix (no PostgreSQL binaries, port taken); printed without a trace."""


class Stop(Exception):
    """A stop signal: unwinds whatever the main thread is doing (imports, initdb, loading, waiting) to the
    clean-up of :func:`cmd_demo`. The server runs in a thread, so uvicorn installs no handlers of its own
    (it would re-raise SIGTERM with the default action and the process would die before the clean-up)."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signum)


def find_pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in PG_FOLDERS:
        matches = sorted(glob.glob(os.path.join(pattern, name)) + glob.glob(os.path.join(pattern, name + ".exe")))
        if matches:
            return matches[-1]
    raise DemoError(f"{name} not found on the PATH or in {', '.join(PG_FOLDERS)}: install the PostgreSQL server"
                    " (e.g. 'apt install postgresql') or set WFH_INGEST_DATABASE_URL to an existing database")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _end(process: subprocess.Popen[str]) -> None:
    """SIGTERM first: initdb then removes its half-made folder, and runuser passes the signal on."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Cluster:
    """A private PostgreSQL cluster (trust auth, 127.0.0.1 only); as root it runs as the postgres user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.initdb, self.pg_ctl = find_pg_tool("initdb"), find_pg_tool("pg_ctl")
        self.as_postgres = hasattr(os, "geteuid") and os.geteuid() == 0
        self.launched = self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        name = Path(args[0]).name
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(process)
            raise DemoError(f"{name} did not finish within {timeout:.0f} s") from None
        except BaseException:
            _end(process)
            raise
        if process.returncode != 0:
            raise DemoError(f"{name} failed: {errors.strip()[:500]}")

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.initdb, "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -k {self.folder}"
        self.launched = True
        self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "start")
        self.started = True

    def stop(self) -> None:
        """Stop the server if one was started; nothing to say when the demo stopped before that."""
        if not self.launched:
            return
        pid_file = self.folder / "data" / "postmaster.pid"
        deadline = time.monotonic() + 2
        while not self.started and not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # a start cut short: the postmaster may still be writing its pid file
        if not pid_file.exists():
            return
        try:
            self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        except DemoError as exc:
            print(f"warning: {exc}", file=sys.stderr)


def _cache_home() -> Path:
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def screenshot_folder(url: str, schema: str) -> Path:
    """Where the demo keeps the screenshots of an existing database: one folder per database and schema in
    the user's cache, so the next run finds the files the rows of this one point to."""
    info = conninfo_to_dict(url)
    where = f"{info.get('host') or info.get('hostaddr') or ''}:{info.get('port') or ''}/{info.get('dbname') or ''}"
    digest = hashlib.sha256(f"{where}/{schema}".encode()).hexdigest()[:12]
    return _cache_home() / "wfh-ingest" / "demo-screenshots" / f"{info.get('dbname') or 'db'}-{schema}-{digest}"


def _accounts(settings: Settings) -> list[tuple[str, str, str]]:
    """Demo users with fresh random passwords: (email, role, password). Re-running resets them."""
    from ingestion.demo_data import TEAM

    cast: list[tuple[str, str, int | None, str | None]] = [
        ("admin@demo.invalid", "admin", None, None), ("manager@demo.invalid", "manager", None, "Demo team")]
    cast += [(p.email, "employee", p.emp_id, "Demo team") for p in TEAM]
    logins = []
    with users.open_sync(settings) as conn:
        for email, role, emp_id, team in cast:
            user_id = users.user_id_for(conn, email)
            if user_id is None:
                user_id = users.create_user(conn, email, role, emp_id, team).user_id
            password = f"demo-{secrets.token_urlsafe(9)}"
            users.set_password(conn, user_id, password)
            logins.append((email, role, password))
        for person in TEAM:
            conn.execute("UPDATE employees SET display_name = %s WHERE emp_id = %s", (person.name, person.emp_id))
    return logins


def _device_key(conn: psycopg.Connection[Any], emp_id: int, device: str) -> str:
    """A key for the demo laptop. A re-run gives the laptop's key a new secret (and revokes any other key of
    it) instead of adding one, so the keys page does not grow with every run."""
    from ingestion.keys import create_key, key_hash, new_key

    row = conn.execute("SELECT k.key_id FROM api_keys k JOIN devices d ON d.device_id = k.device_id"
                       " WHERE d.emp_id = %s AND d.name = %s ORDER BY k.key_id LIMIT 1", (emp_id, device)).fetchone()
    if row is None:
        return create_key(conn, emp_id, device).key
    while True:
        key = new_key()
        with conn.transaction():
            renewed = conn.execute(
                "UPDATE api_keys SET prefix = %(prefix)s, key_hash = %(hash)s, created_at = now(),"
                " last_used_at = NULL, expires_at = NULL, revoked_at = NULL"
                " WHERE key_id = %(id)s AND NOT EXISTS (SELECT 1 FROM api_keys WHERE prefix = %(prefix)s)"
                " RETURNING device_id", {"prefix": key[4:12], "hash": key_hash(key), "id": row[0]}).fetchone()
            if renewed is not None:
                conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                             " WHERE device_id = %s AND key_id <> %s", (renewed[0], row[0]))
                return key


def _date_back(conn: psycopg.Connection[Any], emp_id: int, hours: float, since: datetime) -> None:
    """The story of a laptop that stopped syncing: this run's uploads are dated back to when it stopped,
    and its key's "last used" with them."""
    devices = "SELECT device_id FROM devices WHERE emp_id = %(emp)s"
    conn.execute(f"UPDATE ingest_log SET received_at = received_at - make_interval(secs => %(secs)s)"
                 f" WHERE device_id IN ({devices}) AND received_at >= %(since)s",
                 {"emp": emp_id, "secs": hours * 3600, "since": since})
    conn.execute(f"UPDATE api_keys k SET last_used_at = l.last FROM"
                 f" (SELECT key_id, max(received_at) AS last FROM ingest_log WHERE device_id IN ({devices})"
                 f" GROUP BY key_id) l WHERE k.key_id = l.key_id", {"emp": emp_id})


def load_sample(settings: Settings, base_url: str, now: datetime) -> tuple[int, int, int]:
    """Send the sample team through the ingest API of the server at ``base_url``, as of ``now``; returns the
    numbers of heartbeats, weeks and tasks sent (a re-run sends the same records again, as duplicates)."""
    from ingestion.demo_data import TEAM, WEEKS, Loader, load_week, load_worklog

    loader = Loader(base_url)
    with users.open_sync(settings) as conn:
        keys = {p.emp_id: _device_key(conn, p.emp_id, f"{p.name.split()[0].upper()}-LAPTOP") for p in TEAM}
        row = conn.execute("SELECT now()").fetchone()
        assert row is not None
        started = row[0]
    heartbeats = weeks = tasks = 0
    for person in TEAM:
        heartbeats += load_week(loader, person, keys[person.emp_id], now, weeks=WEEKS)
        sent = load_worklog(loader, person, keys[person.emp_id], now)
        weeks, tasks = weeks + sent[0], tasks + sent[1]
    with users.open_sync(settings) as conn:
        for person in TEAM:
            if person.stops_hours_ago:
                _date_back(conn, person.emp_id, person.stops_hours_ago, started)
    return heartbeats, weeks, tasks


class _Demo:
    """What one run made, so that the clean-up removes exactly that, however far the run got."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder: Path | None = None
        self.cluster: Cluster | None = None
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def run(self) -> int:
        import uvicorn

        from ingestion.api import create_app
        from ingestion.demo_data import TEAM
        from ingestion.migrate import migrate

        url = os.environ.get("WFH_INGEST_DATABASE_URL", "").strip()
        schema = os.environ.get("WFH_INGEST_DB_SCHEMA", "").strip() or "employee_monitor"
        if url:
            shots = Path(os.environ.get("WFH_INGEST_SCREENSHOT_DIR", "").strip() or screenshot_folder(url, schema))
            print("using WFH_INGEST_DATABASE_URL: demo users and employees 9001-9004 are written there and stay"
                  f" after the demo (a second run reuses them); their screenshots go to {shots}", file=sys.stderr)
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="wfh-demo-"))
            self.cluster = Cluster(self.folder)
            print(f"starting a throwaway PostgreSQL in {self.folder} ...", file=sys.stderr)
            self.cluster.start()
            url, shots = self.cluster.url, self.folder / "screenshots"
        migrate(url, schema)
        port = self.args.port or _free_port()
        settings = Settings(database_url=url, db_schema=schema, host=self.args.host, port=port,
                            screenshot_dir=str(shots), rate_per_minute=1e6, rate_burst=100_000, log_level="warning")
        logins = _accounts(settings)
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host=self.args.host, port=port,
                                                    log_level="warning", loop="asyncio", http="h11"))
        self.thread = threading.Thread(target=self.server.run, name="demo-server", daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise DemoError(f"the server could not listen on {self.args.host}:{port} (see above)")
            time.sleep(0.05)
        base_url = f"http://{self.args.host}:{port}"
        heartbeats, weeks, tasks = load_sample(settings, base_url, datetime.now(UTC))
        print(f"\nloaded {heartbeats} heartbeats, {weeks} weeks and {tasks} logged tasks of {len(TEAM)} employees"
              " through the ingest API\n", file=sys.stderr)
        print(f"WFH Agent demo: open {base_url}/login", flush=True)
        for email, role, password in logins:
            print(f"  {role:<8}  {email:<24}  {password}", flush=True)
        if self.cluster is not None:
            print("press Ctrl+C to stop (the throwaway database and its files are removed)", flush=True)
        else:
            print(f"press Ctrl+C to stop (the demo data stays in the database, its screenshots in {shots})",
                  flush=True)
        while self.thread.is_alive():
            self.thread.join(0.5)
        return 0

    def clean_up(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(30)
        if self.cluster is not None:
            self.cluster.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            print("demo stopped; temporary files removed", file=sys.stderr)
        else:
            print("demo stopped; the demo data stays in the database", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo until a stop signal; every way out goes through the clean-up, during which further
    signals are ignored so that a second Ctrl+C cannot leave a cluster behind."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in STOP_SIGNALS}
    demo = _Demo(args)
    try:
        return demo.run()
    except Stop:
        return 0
    except (DemoError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        try:
            demo.clean_up()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the dashboard on a generated sample team (a throwaway database"
                          " unless WFH_INGEST_DATABASE_URL is set)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    demo.set_defaults(func=cmd_demo)
