"""``wfh-ingest demo``: see the team view at once. Uses WFH_INGEST_DATABASE_URL when set, otherwise a
throwaway PostgreSQL cluster in a temporary folder (initdb/pg_ctl from the PATH or PostgreSQL's usual
install folders); migrates, serves, loads a generated sample team through the real ingest API,
prints the URL and demo logins, and removes everything it made on Ctrl+C."""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from ingestion.accounts import users
from ingestion.config import Settings

PG_FOLDERS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin",
              "/opt/homebrew/opt/postgresql*/bin", "/usr/local/opt/postgresql*/bin",
              "/Applications/Postgres.app/Contents/Versions/*/bin",
              "C:/Program Files/PostgreSQL/*/bin"]


class DemoError(RuntimeError):
    """Something the user has to fix (no PostgreSQL binaries, port taken); printed without a trace."""


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


class Cluster:
    """A private PostgreSQL cluster (trust auth, 127.0.0.1 only); as root it runs as the postgres user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.initdb, self.pg_ctl = find_pg_tool("initdb"), find_pg_tool("pg_ctl")
        self.as_postgres = hasattr(os, "geteuid") and os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        if result.returncode != 0:
            raise DemoError(f"{Path(args[0]).name} failed: {result.stderr.strip()[:500]}")

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.initdb, "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -k {self.folder}"
        self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        except DemoError as exc:
            print(f"warning: {exc}", file=sys.stderr)


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


def _load(settings: Settings, base_url: str, logins: list[tuple[str, str, str]], server: object) -> None:
    from ingestion.demo_data import TEAM, Loader, load_week
    from ingestion.keys import create_key

    while not getattr(server, "started", False):
        time.sleep(0.05)
    loader = Loader(base_url)
    now = datetime.now(UTC)
    with users.open_sync(settings) as conn:
        keys = {p.emp_id: create_key(conn, p.emp_id, f"{p.name.split()[0].upper()}-LAPTOP").key for p in TEAM}
    count = sum(load_week(loader, person, keys[person.emp_id], now) for person in TEAM)
    with users.open_sync(settings) as conn:
        # The story of a laptop that stopped syncing: its uploads are dated back to when it stopped.
        for person in TEAM:
            if person.stops_hours_ago:
                conn.execute("UPDATE ingest_log SET received_at = received_at - make_interval(secs => %s)"
                             " WHERE device_id IN (SELECT device_id FROM devices WHERE emp_id = %s)",
                             (person.stops_hours_ago * 3600, person.emp_id))
    print(f"\nloaded {count} heartbeats of {len(TEAM)} employees through the ingest API\n", file=sys.stderr)
    print(f"WFH Agent demo: open {base_url}/login", flush=True)
    for email, role, password in logins:
        print(f"  {role:<8}  {email:<24}  {password}", flush=True)
    print("press Ctrl+C to stop (the throwaway database is removed)", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    import uvicorn

    from ingestion.api import create_app
    from ingestion.migrate import MigrationError, migrate

    folder = Path(tempfile.mkdtemp(prefix="wfh-demo-"))
    cluster = None
    try:
        url = os.environ.get("WFH_INGEST_DATABASE_URL", "").strip()
        if url:
            print("using WFH_INGEST_DATABASE_URL: demo users and employees 9001-9004 are written there",
                  file=sys.stderr)
        else:
            cluster = Cluster(folder)
            print(f"starting a throwaway PostgreSQL in {folder} ...", file=sys.stderr)
            cluster.start()
            url = cluster.url
        schema = os.environ.get("WFH_INGEST_DB_SCHEMA", "").strip() or "employee_monitor"
        migrate(url, schema)
        port = args.port or _free_port()
        settings = Settings(database_url=url, db_schema=schema, host=args.host, port=port,
                            screenshot_dir=str(folder / "screenshots"), rate_per_minute=1e6, rate_burst=100_000,
                            log_level="warning")
        logins = _accounts(settings)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host=args.host, port=port, log_level="warning",
                                               loop="asyncio", http="h11"))
        base_url = f"http://{args.host}:{port}"
        threading.Thread(target=_load, args=(settings, base_url, logins, server), daemon=True).start()
        server.run()
        return 0
    except (DemoError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        print("demo stopped; temporary files removed", file=sys.stderr)


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the dashboard on a generated sample team (throwaway database)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    demo.set_defaults(func=cmd_demo)
