"""Throwaway PostgreSQL databases for tests: on the local server (127.0.0.1:5432, trust auth) or, when
none is reachable, in a private cluster started with initdb/pg_ctl. Plain functions, reusable by any
suite (server tests, end-to-end sync tests)."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

LOCAL_ADMIN_URL = os.environ.get("WFH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCHEMA = "employee_monitor"
DATA_TABLES = ("heartbeats", "timeline", "website_usage", "productivity", "wellness", "screenshots")


def reachable(admin_url: str = LOCAL_ADMIN_URL) -> bool:
    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def find_pg_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (initdb, pg_ctl): PATH first, then /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise FileNotFoundError(f"{name} not found on PATH or under /usr/lib/postgresql/*/bin")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TempCluster:
    """A private PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:``port``.

    initdb refuses to run as root, so as root the cluster is owned by and run as the ``postgres``
    OS user (present wherever the server package is installed).
    """

    directory: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    @classmethod
    def create(cls, port: int | None = None) -> TempCluster:
        directory = Path(tempfile.mkdtemp(prefix="wfh-pg-"))
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        cluster = cls(directory, port or free_port())
        cluster._run(find_pg_bin("initdb"), "-D", str(directory / "data"), "-U", "postgres",
                     "--auth=trust", "--no-sync", "-E", "UTF8")
        cluster.start()
        return cluster

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
                   " -c max_connections=60")
        self._run(find_pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-o", options,
                  "-l", str(self.directory / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(find_pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


def _with_database(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def create_database(admin_url: str, prefix: str = "wfh_test") -> str:
    """Create an empty database with a random name; return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate(url: str, schema: str = SCHEMA) -> None:
    from ingestion.migrate import migrate as run_migrations

    run_migrations(url, schema)


@contextmanager
def throwaway_database(prefix: str = "wfh_test", migrated: bool = True) -> Iterator[str]:
    """A fresh (migrated) database for the duration of the block, dropped afterwards."""
    cluster = None
    admin_url = LOCAL_ADMIN_URL
    if not reachable(admin_url):
        cluster = TempCluster.create()
        admin_url = cluster.admin_url
    url = create_database(admin_url, prefix)
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        try:
            drop_database(admin_url, url)
        finally:
            if cluster is not None:
                cluster.destroy()


def connect(url: str, schema: str = SCHEMA) -> psycopg.Connection[Any]:
    """An autocommit connection with ``search_path`` on the ingestion schema."""
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return conn


def reset_tables(url: str, schema: str = SCHEMA) -> None:
    """Empty every data table, ingest_log, api_keys, devices and employees."""
    tables = (*DATA_TABLES, "activity_quarters", "rollup_spans", "device_state", "ingest_log", "api_keys", "devices",
              "employees")
    with connect(url, schema) as conn:
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in tables)))


DEPLOY_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md"


@contextmanager
def guide_role(url: str, lead: str, role: str) -> Iterator[str]:
    """A login role granted exactly the ``sql`` block of docs/DEPLOY.md that follows the text matching
    the regular expression ``lead``, with the guide's role name ``role`` replaced by a new one; yields
    its connection string and drops the role afterwards."""
    import re
    import uuid

    from psycopg.conninfo import make_conninfo

    text = DEPLOY_GUIDE.read_text(encoding="utf-8")
    block = re.search(lead + r".*?```sql\n(.*?)```", text, re.S)
    assert block, f"docs/DEPLOY.md no longer shows the grants after {lead!r}"
    name = f"{role}_{uuid.uuid4().hex[:8]}"
    with connect(url) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        conn.execute(block.group(1).replace(role, name).encode("utf-8"))
    try:
        yield make_conninfo(url, user=name)
    finally:
        with connect(url) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
