"""Fixtures for the sync client tests: a profile pointed at a replay server, and an engine with a
controllable clock and random source."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.sync.replay import VALID_KEY, ReplayServer


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SyncEnv:
    profile: Any
    server: ReplayServer
    clock: FakeClock
    keystore: Any

    @property
    def conn(self) -> Any:
        return self.profile.db.get()

    def engine(self, **kw: Any) -> Any:
        from app.sync.engine import SyncEngine

        kw.setdefault("clock", self.clock)
        kw.setdefault("rng", random.Random(7))
        return SyncEngine(self.profile.db, self.profile.settings, self.profile.paths.data_dir, self.keystore, **kw)


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()


@pytest.fixture
def sync_env(profile: Any, replay: ReplayServer) -> SyncEnv:
    from app.sync.keystore import KeyStore

    profile.settings.set("ingestion.api.base_url", replay.url)
    keystore = KeyStore(profile.paths.key_file, environ={}, backend=None)
    keystore.set(VALID_KEY)
    return SyncEnv(profile, replay, FakeClock(), keystore)
