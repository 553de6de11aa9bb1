"""JSON import of the app's own export (issue 15): exact round trip, duplicates skipped, bad files rejected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.errors import ValidationError
from app.profile import Profile
from app.services.json_import import import_document, read_document
from app.ui.import_export.formats import export_json
from tests.gui.conftest import make_week
from tests.gui.test_import_export import _tricky_week


def without_time(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("exported_at")
    return document


def test_export_import_into_an_empty_profile_export_again_is_identical(context: Any, tmp_path: Path) -> None:
    _tricky_week(context)
    make_week(context, "Second", tasks=5, is_bonus_week=1, bonus_rate=12.5, bonus_threshold_seconds=3600,
              notes="née «notes»")
    first = tmp_path / "first.json"
    export_json(context.profile.db.get(), first, None)
    empty = Profile.open(tmp_path / "empty")
    try:
        result = import_document(empty.db.get(), read_document(first))
        assert len(result.weeks_created) == 2 and len(result.tasks_created) == 8 and result.skipped == []
        second = tmp_path / "second.json"
        export_json(empty.db.get(), second, None)
        assert without_time(second) == without_time(first)
        again = import_document(empty.db.get(), read_document(first))  # the same file once more: nothing new
        assert again.tasks_created == [] and len(again.skipped) == 8
    finally:
        empty.close()


def test_menu_import_skips_tasks_already_present_and_publishes_once(window: Any, context: Any, qtbot: Any,
                                                                   tmp_path: Path, shell: Any) -> None:
    source = make_week(context, "W1", tasks=3)
    path = tmp_path / "w1.json"
    export_json(context.profile.db.get(), path, source)
    seen: list[Any] = []
    context.data.changed.connect(seen.append)
    job = shell.menu_bar.import_json(path)
    with qtbot.waitSignal(job.finished, timeout=10_000) as done:
        pass
    result = done.args[0]
    assert result.tasks_created == [] and len(result.skipped) == 3 and "duplicate of task" in result.skipped[0]
    assert context.data.count_week_tasks(source) == 3
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5000)
    assert seen[0].bulk and "Skipped 3" in window.statusBar().currentMessage()


def test_bad_files_are_rejected_with_a_reason_and_write_nothing(profile: Any, tmp_path: Path) -> None:
    cases = {"not.json": "{oops", "other.json": json.dumps({"format": "x"}),
             "future.json": json.dumps({"format": "wfh-agent-tasks", "version": 9, "weeks": []})}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="not a JSON file"):
        read_document(tmp_path / "not.json")
    with pytest.raises(ValidationError, match="not a WFH Agent task export"):
        read_document(tmp_path / "other.json")
    with pytest.raises(ValidationError, match="version 9"):
        read_document(tmp_path / "future.json")
    document = {"format": "wfh-agent-tasks", "version": 1, "weeks": [
        {"week_label": "Good", "tasks": [{"project_name": "ok", "duration": "00:10:00"}]},
        {"week_label": "Bad", "tasks": [{"project_name": "x", "score": 400}]}]}
    with pytest.raises(ValidationError, match="week 'Bad', task 1: score"):
        import_document(profile.db.get(), document)
    assert profile.db.get().execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0
