"""Real PgBouncer, HAProxy and streaming-replica processes for the fleet tests and benchmark (issue 16).

Each runs the shipped configuration (deploy/pgbouncer.ini is %include'd, deploy/haproxy.cfg is used as
is with its addresses in the environment) from a temporary directory on free 127.0.0.1 ports, in the
foreground as a child process, never through systemd. PgBouncer and PostgreSQL refuse to run as root,
so as root they run as the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from tests.support.pg import TempCluster, find_pg_bin, free_port

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer.ini"
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
HAPROXY_ERRORS = ROOT / "deploy" / "haproxy"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _private_dir(prefix: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s") from None
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@dataclass
class PgBouncer:
    """A pgbouncer with the shipped settings (transaction mode), pooling ``upstream`` databases
    (name → (port, dbname)) for the ``postgres`` role with trust authentication."""

    upstream: dict[str, tuple[int, str]]
    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: _private_dir("wfh-pgbouncer-"))
    process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _write_config(self) -> Path:
        userlist = self.directory / "userlist.txt"
        userlist.write_text('"postgres" ""\n')
        databases = "\n".join(f"{name} = host=127.0.0.1 port={port} dbname={db}"
                              for name, (port, db) in self.upstream.items())
        ini = self.directory / "pgbouncer.ini"
        # A second [pgbouncer] header would reset the section to defaults: the shipped file ends inside
        # [pgbouncer], so the lines after the include override its settings.
        ini.write_text(f"""[databases]
{databases}
%include {PGBOUNCER_INI}
listen_port = {self.port}
unix_socket_dir = {self.directory}
pidfile = {self.directory}/pgbouncer.pid
logfile = {self.directory}/pgbouncer.log
auth_type = trust
auth_file = {userlist}
""")
        if os.geteuid() == 0:
            for path in (ini, userlist):
                shutil.chown(path, "postgres", "postgres")
        return ini

    def start(self) -> PgBouncer:
        ini = self._write_config()
        # As root: setuid in the child (not runuser, which delays forwarded signals by seconds).
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen([PGBOUNCER, str(ini)], stdout=subprocess.DEVNULL,  # type: ignore[call-overload]
                                        stderr=subprocess.DEVNULL, **as_postgres)
        try:
            wait_port(self.port)
        except RuntimeError:
            self.stop(signal.SIGKILL)  # never leave a half-started pgbouncer behind
            raise RuntimeError(f"pgbouncer did not start:\n{self.log()[-2000:]}") from None
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: immediate shutdown (PgBouncer ≥ 1.17 semantics: every connection is dropped)."""
        _stop(self.process, sig)

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def destroy(self) -> None:
        self.stop(signal.SIGTERM)  # not SIGINT: that waits for clients to finish
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class HAProxy:
    """haproxy -f deploy/haproxy.cfg in the foreground, balancing the given API ports."""

    api_ports: list[int]
    port: int = field(default_factory=free_port)
    stats_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HAProxy:
        if len(self.api_ports) != 2:
            raise ValueError("deploy/haproxy.cfg names two servers (api1, api2)")
        env = {**os.environ, "WFH_HAPROXY_BIND": f"127.0.0.1:{self.port}",
               "WFH_HAPROXY_STATS": f"127.0.0.1:{self.stats_port}", "WFH_HAPROXY_ERRORS": str(HAPROXY_ERRORS),
               "WFH_API1": f"127.0.0.1:{self.api_ports[0]}", "WFH_API2": f"127.0.0.1:{self.api_ports[1]}"}
        check = subprocess.run([HAPROXY, "-c", "-f", str(HAPROXY_CFG)], env=env, capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy -c failed:\n{check.stdout}{check.stderr}")
        self.process = subprocess.Popen([HAPROXY, "-db", "-f", str(HAPROXY_CFG)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(self.port)
        except RuntimeError:
            _stop(self.process, signal.SIGKILL)
            raise
        return self

    def server_states(self) -> dict[str, str]:
        """``{"api1": "UP", "api2": "DOWN", ...}`` from the stats page's CSV."""
        text = httpx.get(f"http://127.0.0.1:{self.stats_port}/;csv", timeout=5).text
        header = text.splitlines()[0].lstrip("# ").split(",")
        states = {}
        for line in text.splitlines()[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "wfh_api" and row.get("svname", "").startswith("api"):
                states[row["svname"]] = row.get("status", "")
        return states

    def wait_states(self, wanted: dict[str, str], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while (states := self.server_states()) != wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"haproxy servers {states}, wanted {wanted}")
            time.sleep(0.2)

    def stop(self) -> None:
        _stop(self.process, signal.SIGUSR1)  # soft stop


@dataclass
class ReplicatedCluster:
    """A throwaway primary (initdb) and a hot standby made from it with ``pg_basebackup -R``."""

    primary: TempCluster
    replica: TempCluster

    @classmethod
    def create(cls) -> ReplicatedCluster:
        primary = TempCluster.create()
        directory = _private_dir("wfh-replica-")
        replica = TempCluster(directory, free_port())
        try:
            subprocess.run(_as_postgres([find_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                                         "-U", "postgres", "-D", str(directory / "data"), "-R", "-X", "stream",
                                         "-c", "fast"]),
                           check=True, capture_output=True, timeout=120)
            with open(directory / "data" / "postgresql.auto.conf", "a") as conf:
                conf.write("hot_standby = on\nhot_standby_feedback = on\nwal_receiver_status_interval = 1s\n")
            replica.start()
        except BaseException:
            primary.destroy()
            replica.destroy()
            raise
        return cls(primary, replica)

    def url(self, cluster: TempCluster, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{cluster.port}/{dbname}"

    def wait_caught_up(self, dbname: str = "postgres", timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.url(self.primary, dbname), autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.url(self.replica, "postgres"), autocommit=True) as conn:
            while True:
                done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()
                if done and done[0]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError("the replica did not catch up")
                time.sleep(0.1)

    def destroy(self) -> None:
        self.replica.destroy()
        self.primary.destroy()
