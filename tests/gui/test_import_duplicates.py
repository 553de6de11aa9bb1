"""CSV import preview (issue 15): rows already present are flagged with the task they repeat, skipped by default."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.gui.conftest import make_week


def test_same_attempt_project_and_begin_is_a_duplicate_even_without_ids(window: Any, context: Any, qtbot: Any,
                                                                        tmp_path: Path, shell: Any) -> None:
    week = make_week(context)
    existing = context.data.create_task(week, {"project_name": "P", "attempt_id": "a-1", "duration": "00:10:00",
                                               "time_begin": "2026-11-26T09:00:00"})
    window.weeks.select_week(week)
    path = tmp_path / "other-tool.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "project_name", "attempt_id", "duration", "time_begin"])
        writer.writerow(["", "P", "a-1", "00:20:00", "2026-11-26 09:00"])    # same task, other spelling of begin
        writer.writerow(["", "P", "a-2", "00:05:00", ""])                    # new
        writer.writerow(["", "P", "a-2", "00:05:00", ""])                    # repeats line 3
        writer.writerow([str(existing), "Q", "zz", "00:01:00", ""])          # an id of another profile: new
    dialog = shell.menu_bar.import_csv(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    by_line = {r.line: r for r in dialog.preview.rows}
    assert by_line[2].duplicate == f"duplicate of task {existing}" and by_line[2].skip
    assert by_line[4].duplicate == "duplicate of line 3" and by_line[4].skip
    assert by_line[3].duplicate is None and by_line[5].duplicate is None
    model = dialog.model
    assert [model.index(r, 6).data() for r in range(2)] == [f"duplicate of task {existing}", "duplicate of line 3"]
    assert model.index(0, 1).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert dialog.import_button.text() == "Import 2 tasks"
    model.setData(model.index(1, 1), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)  # keep line 4
    assert dialog.import_button.text() == "Import 3 tasks"
    assert dialog.include_duplicates.isVisibleTo(dialog)
    dialog.include_duplicates.setChecked(True)
    assert dialog.import_button.text() == "Import 4 tasks"
    dialog.include_duplicates.setChecked(False)
    assert dialog.import_button.text() == "Import 2 tasks"
    model.setData(model.index(1, 1), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    with qtbot.waitSignal(dialog.imported):
        dialog.import_button.click()
    assert sorted(t.attempt_id for t in context.data.get_week_tasks(week)) == ["a-1", "a-2", "a-2", "zz"]
