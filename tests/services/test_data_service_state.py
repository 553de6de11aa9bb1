"""Hypothesis state machine: after any sequence of DataService operations every cached read
equals a fresh uncached read, and week_statistics matches a recount from the tasks."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from PySide6.QtCore import QCoreApplication

from app.errors import ValidationError
from app.profile import Profile
from app.services.cache import CacheService
from app.services.data_service import DataService

PROJECTS = st.sampled_from([None, "", "A", "B", "Ünï"])
TASK = st.fixed_dictionaries({
    "duration_seconds": st.integers(0, 50_000),
    "score": st.integers(0, 100),
    "project_name": PROJECTS,
    "time_limit_seconds": st.sampled_from([0, 600, 3600]),
})


class DataServiceMachine(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        QCoreApplication.instance() or QCoreApplication([])
        self.tmp = tempfile.TemporaryDirectory()
        self.profile = Profile.open(Path(self.tmp.name))
        self.service = DataService(self.profile.db, CacheService())
        self.weeks: list[int] = []
        self.tasks: list[int] = []
        self.label = 0

    def teardown(self) -> None:
        self.profile.close()
        self.tmp.cleanup()

    def _read_everything(self) -> None:
        for week in self.weeks:
            self.service.get_week_tasks(week)
            self.service.get_week_tasks(week, 3, 1)
            self.service.get_week_analytics(week)
            self.service.get_week_data(week)
        self.service.list_weeks()

    @rule()
    def create_week(self) -> None:
        self.label += 1
        self.weeks.append(self.service.create_week(f"week {self.label}"))

    @precondition(lambda self: self.weeks)
    @rule(data=st.data(), task=TASK)
    def create_task(self, data: st.DataObject, task: dict[str, Any]) -> None:
        week = data.draw(st.sampled_from(self.weeks))
        self.tasks.append(self.service.create_task(week, task))

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), changes=TASK)
    def update_task(self, data: st.DataObject, changes: dict[str, Any]) -> None:
        self.service.update_task(data.draw(st.sampled_from(self.tasks)), changes)

    @precondition(lambda self: self.tasks and len(self.weeks) > 1)
    @rule(data=st.data())
    def move_task(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self.tasks))
        self.service.update_task(task, {"week_id": data.draw(st.sampled_from(self.weeks))})

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), seconds=st.integers(0, 100_000))
    def timer(self, data: st.DataObject, seconds: int) -> None:
        task = data.draw(st.sampled_from(self.tasks))
        self.service.start_timer(task)
        self.service.stop_timer(task, seconds)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def delete_task(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self.tasks))
        self.service.delete_task(task)
        self.tasks.remove(task)

    @precondition(lambda self: self.weeks)
    @rule(data=st.data())
    def delete_week(self, data: st.DataObject) -> None:
        week = data.draw(st.sampled_from(self.weeks))
        self.service.delete_week(week)
        self.weeks.remove(week)
        alive = {r[0] for r in self.profile.db.get().execute(
            "SELECT id FROM tasks_optimized WHERE deleted_at IS NULL")}
        self.tasks = [t for t in self.tasks if t in alive]

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def rejected_update(self, data: st.DataObject) -> None:
        try:
            self.service.update_task(data.draw(st.sampled_from(self.tasks)), {"score": 1000})
        except ValidationError:
            pass
        else:
            raise AssertionError("a score of 1000 must be refused")

    @rule()
    def warm_the_cache(self) -> None:
        self._read_everything()

    @invariant()
    def cached_reads_equal_fresh_reads(self) -> None:
        if not hasattr(self, "service"):
            return
        s = self.service
        cls = type(s)
        for week in self.weeks:
            assert s.get_week_tasks(week) == cls.get_week_tasks.__wrapped__(s, week)
            assert s.get_week_tasks(week, 3, 1) == cls.get_week_tasks.__wrapped__(s, week, 3, 1)
            assert s.get_week_data(week) == cls.get_week_data.__wrapped__(s, week)
            cached = s.get_week_analytics(week)
            fresh = cls.get_week_analytics.__wrapped__(s, week)
            assert cached == fresh
            count, total = self.profile.db.get().execute(
                "SELECT COUNT(*), COALESCE(SUM(duration_seconds), 0) FROM tasks_optimized "
                "WHERE week_id = ? AND deleted_at IS NULL", (week,)).fetchone()
            assert (fresh.total_tasks, fresh.total_duration_seconds) == (count, total)
        assert s.list_weeks() == cls.list_weeks.__wrapped__(s)


DataServiceMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestDataServiceMachine = DataServiceMachine.TestCase
