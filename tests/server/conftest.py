"""Server suite fixtures: one throwaway migrated PostgreSQL database per session, app factories,
key fixtures. Everything runs against a real PostgreSQL (see tests/support/pg.py)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette 1.10 nudges towards httpx2; httpx is what we pin
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ingestion.api import create_app
from ingestion.config import Settings
from tests.support.pg import connect, reset_tables, throwaway_database
from tests.support.server import create_key

EMP = 1001
DEVICE = "TEST-LAPTOP-1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/server needs a real PostgreSQL: mark it so ``-m "not postgres"`` works."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_database("wfh_test") as url:
        yield url


@pytest.fixture
def clean_db(pg_url: str) -> str:
    reset_tables(pg_url)
    return pg_url


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def build(url: str, **overrides: object) -> Settings:
        base = {"database_url": url, "screenshot_dir": str(tmp_path / "shots")}
        base.update(overrides)
        return Settings(**base)  # type: ignore[arg-type]

    return build


@pytest.fixture
def client_for(settings_for: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """Start a fresh app (own pool, fresh rate-limit buckets) on a database URL."""
    clients: list[TestClient] = []

    def start(url: str, **overrides: object) -> TestClient:
        app: FastAPI = create_app(settings_for(url, **overrides))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(clean_db: str, client_for: Callable[..., TestClient]) -> TestClient:
    return client_for(clean_db, rate_per_minute=60_000.0, rate_burst=10_000)


@pytest.fixture
def key(clean_db: str) -> str:
    return create_key(clean_db, EMP, DEVICE)


def count_rows(url: str, table: str) -> int:
    with connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])
