"""Helpers for the monitoring tests: a consented profile, a hand-driven clock, scripted backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.monitor import consent
from app.monitor.window import ActiveWindow


class FakeClock:
    """Wall and monotonic clocks the test moves by hand (``advance``, ``jump_wall``)."""

    def __init__(self, wall: float = 1_795_000_000.0) -> None:
        self.wall_now = wall
        self.mono_now = 1000.0

    def wall(self) -> float:
        return self.wall_now

    def mono(self) -> float:
        return self.mono_now

    def advance(self, seconds: float) -> None:
        self.wall_now += seconds
        self.mono_now += seconds

    def jump_wall(self, seconds: float) -> None:
        self.wall_now += seconds


class FakeWindow:
    name = "fake"

    def __init__(self, app: str = "code", title: str = "main.py") -> None:
        self.current: ActiveWindow | None = ActiveWindow(pid=None, title=title, process_name=app)
        self.closed = False

    def set(self, app: str, title: str) -> None:
        self.current = ActiveWindow(pid=None, title=title, process_name=app)

    def active_window(self) -> ActiveWindow | None:
        return self.current

    def close(self) -> None:
        self.closed = True


class FakeIdle:
    name = "fake"

    def __init__(self) -> None:
        self.idle = 0.0
        self.locked = False

    def idle_seconds(self) -> float | None:
        return self.idle

    def is_locked(self) -> bool | None:
        return self.locked

    def close(self) -> None:
        return None


class FakeShots:
    """Stands in for ScreenshotTaker: records when a capture was asked for."""

    def __init__(self) -> None:
        self.taken: list[int] = []

    def take(self, now_ms: int, settings: Any) -> dict[str, Any]:
        self.taken.append(now_ms)
        return {"client_id": f"shot-{len(self.taken)}"}

    def apply_retention(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def close(self) -> None:
        return None


@pytest.fixture
def consented(profile: Any) -> Iterator[Any]:
    consent.record_consent(profile.db.get())
    yield profile


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
