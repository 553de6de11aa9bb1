"""GUI fixtures: the real services on a temporary profile, a main window without tray, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ui.context import AppContext
from tests.conftest import wait_for_pool_jobs


class FakeClock:
    """Monotonic and wall time that only move when a test says so."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.mono

    def now(self) -> datetime:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)


class Answers:
    """Stands in for the yes/no message box; records the questions asked."""

    def __init__(self) -> None:
        self.answer = True
        self.questions: list[str] = []

    def __call__(self, _parent: object, _title: str, text: str) -> bool:
        self.questions.append(text)
        return self.answer


@pytest.fixture
def context(qapp: object, data_dir: Path) -> Iterator[AppContext]:
    ctx = AppContext.open(data_dir)
    yield ctx
    ctx.cache.cleanup_timer.stop()
    ctx.stop_writer()
    wait_for_pool_jobs()
    ctx.profile.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def shell(qtbot: object, context: AppContext, clock: FakeClock, answers: Answers) -> Iterator[object]:
    """The window wired with its timer and menus (no tray, no background workers)."""
    from app.ui.shell import Shell

    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(shell.window)  # type: ignore[attr-defined]
    shell.window.show()
    yield shell
    shell.timer._ticker.stop()
    shell.external.stop()


@pytest.fixture
def window(shell: object) -> object:
    return shell.window  # type: ignore[attr-defined]


def make_week(context: AppContext, label: str = "2026-W48", tasks: int = 0, **fields: object) -> int:
    week_id = context.data.create_week(label, **fields)
    if tasks:
        context.data.create_tasks(week_id, [
            {"project_name": f"Project {'ABC'[i % 3]}", "attempt_id": f"att-{i:03d}", "operation_id": f"op{i}",
             "duration": f"00:{10 + i % 40:02d}:00", "time_limit": "01:00:00", "score": 50 + i % 50,
             "feedback": "looks good" if i % 2 else "needs review"}
            for i in range(tasks)
        ])
    return week_id
