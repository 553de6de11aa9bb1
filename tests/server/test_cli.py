"""``wfh-ingest`` commands (contract §4.5, §12.1): key output discipline, exit codes, migrations."""

from __future__ import annotations

import os
import subprocess
import sys

from ingestion.keys import KEY_RE
from ingestion.migrate import available
from tests.support.pg import connect, create_database, drop_database


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WFH_INGEST_DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_create_list_revoke_keys(clean_db: str) -> None:
    created = _cli(clean_db, "create-key", "--emp-id", "1001", "--device", "LAPTOP-9", "--expires-days", "30")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n" and KEY_RE.fullmatch(key) and len(key) == 56
    assert key not in created.stderr and key[4:12] in created.stderr
    listed = _cli(clean_db, "list-keys")
    assert listed.returncode == 0 and key[4:12] in listed.stdout and "LAPTOP-9" in listed.stdout
    assert key[13:] not in listed.stdout + listed.stderr
    assert _cli(clean_db, "revoke-key", key[4:12]).returncode == 0
    assert _cli(clean_db, "revoke-key", key[4:12]).returncode == 0  # already revoked: still 0
    assert _cli(clean_db, "revoke-key", "NOSUCHKY").returncode == 1
    assert key[4:12] not in _cli(clean_db, "list-keys").stdout
    assert key[4:12] in _cli(clean_db, "list-keys", "--include-revoked").stdout
    assert _cli(clean_db, "create-key", "--emp-id", "0", "--device", "X").returncode == 1



def test_migrate_is_idempotent_and_detects_changed_files(pg_url: str) -> None:
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"  # the server holding the session database
    url = create_database(admin, "wfh_test_migrate")
    try:
        served = _cli(url, "serve", "--port", "1")
        assert served.returncode == 2 and "pending" in served.stderr  # serve refuses an unmigrated db
        assert _cli(url, "migrate").returncode == 0
        again = _cli(url, "migrate")
        assert again.returncode == 0 and "applied 0" in again.stderr
        with connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(available()),)
            conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        assert _cli(url, "migrate").returncode == 2
    finally:
        drop_database(admin, url)


def test_unreachable_database_is_exit_2() -> None:
    assert _cli("postgresql://wfh@127.0.0.1:1/wfh", "list-keys").returncode == 2


def test_without_the_server_packages_it_says_what_to_install() -> None:
    """The desktop install (pip install -e .) has the wfh-ingest script but not psycopg: one line, not a trace."""
    blocked = "import sys; sys.modules['psycopg'] = None; sys.argv = ['wfh-ingest', '--help']; import ingestion.cli"
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "psycopg is missing" in result.stderr
    assert "pip install -e '.[server]'" in result.stderr
