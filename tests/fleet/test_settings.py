"""Fleet settings (pool mode, prepared statements, read replica URL) and the replica's metric lines."""

from __future__ import annotations

import pytest

from ingestion.config import ConfigError, Settings
from ingestion.db import session_setup
from ingestion.lag import ReplicaStatus, lsn_bytes, metrics_text

URL = {"WFH_INGEST_DATABASE_URL": "postgresql://x@127.0.0.1/wfh"}


def test_defaults_are_a_direct_connection() -> None:
    settings = Settings.from_env(URL)
    assert (settings.db_pool_mode, settings.prepare_threshold, settings.read_database_url) == ("session", 5, None)
    assert session_setup(settings, read_only=False) == (
        "SET search_path TO employee_monitor; SET statement_timeout = 10000")
    assert session_setup(settings, read_only=True).endswith("; SET default_transaction_read_only = on")


def test_transaction_mode_sets_nothing_per_connection_and_never_prepares() -> None:
    settings = Settings.from_env({**URL, "WFH_INGEST_DB_POOL_MODE": "Transaction",
                                  "WFH_INGEST_READ_DATABASE_URL": " postgresql://r@replica/wfh "})
    assert settings.db_pool_mode == "transaction" and settings.prepare_threshold is None
    assert settings.read_database_url == "postgresql://r@replica/wfh"
    assert session_setup(settings, read_only=True) == ""


@pytest.mark.parametrize(("raw", "expected"), [("none", None), ("OFF", None), ("0", 0), ("12", 12)])
def test_prepare_threshold(raw: str, expected: int | None) -> None:
    assert Settings.from_env({**URL, "WFH_INGEST_DB_PREPARE_THRESHOLD": raw}).prepare_threshold == expected


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("WFH_INGEST_DB_POOL_MODE", "statement", "WFH_INGEST_DB_POOL_MODE must be one of session, transaction"),
    ("WFH_INGEST_DB_PREPARE_THRESHOLD", "always", "WFH_INGEST_DB_PREPARE_THRESHOLD must be an integer"),
    ("WFH_INGEST_DB_PREPARE_THRESHOLD", "-1", "WFH_INGEST_DB_PREPARE_THRESHOLD must be at least 0"),
])
def test_bad_values_are_clear_errors(name: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**URL, name: raw})


def test_lsn_bytes() -> None:
    assert lsn_bytes("0/0") == 0
    assert lsn_bytes("16/B374D848") - lsn_bytes("16/B374D800") == 0x48
    assert lsn_bytes("1/0") == 1 << 32
    with pytest.raises(ValueError, match="not a WAL position"):
        lsn_bytes("garbage")


def test_metrics_lines() -> None:
    assert metrics_text(None) == b""
    down = metrics_text(ReplicaStatus(up=False, error="replica unreachable")).decode()
    assert "wfh_ingest_read_replica_up 0\n" in down and "lag" not in down.replace("# HELP", "")
    up = metrics_text(ReplicaStatus(up=True, in_recovery=True, lag_bytes=4096, lag_seconds=1.25)).decode()
    assert "wfh_ingest_read_replica_up 1\n" in up
    assert "wfh_ingest_read_replica_lag_bytes 4096\n" in up and "wfh_ingest_read_replica_lag_seconds 1.250\n" in up
    assert up.count("# TYPE") == 3
