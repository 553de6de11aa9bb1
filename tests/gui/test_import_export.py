"""Export → import round trip through the real dialogs, CSV row errors, and the legacy import dialog."""

from __future__ import annotations

import csv
import json

from app.domain.models import Task
from tests.gui.conftest import make_week
from tests.support.legacy import build_large_legacy_db, build_messy_legacy_db

COMPARED = ("attempt_id", "project_id", "project_name", "operation_id", "duration_seconds", "time_limit_seconds",
            "date_audited", "score", "feedback", "locale", "bonus_paid", "time_begin", "time_end")


def _comparable(tasks: tuple[Task, ...]) -> list[tuple[object, ...]]:
    return sorted((tuple(getattr(t, f) for f in COMPARED) for t in tasks), key=repr)


def _tricky_week(context) -> int:
    week_id = make_week(context, "Source week")
    context.data.create_tasks(week_id, [
        {"project_name": 'Bêta «quoted», "comma"', "project_id": "P1", "attempt_id": "a1", "operation_id": "o1",
         "duration": "01:02:03", "time_limit": "02:00:00", "score": 97, "feedback": "line one\nline two, with comma",
         "locale": "de_DE", "bonus_paid": 1, "date_audited": "2026-11-20", "time_begin": "2026-11-20T09:00:00",
         "time_end": "2026-11-20T10:02:03"},
        {"project_name": "日本語", "duration": "125:30", "score": 0, "feedback": "  leading spaces kept"},
        {"project_name": None, "attempt_id": "only-attempt"},
    ])
    return week_id


def test_csv_export_then_import_round_trip(window, context, qtbot, tmp_path, shell):
    source = _tricky_week(context)
    window.weeks.select_week(source)
    path = tmp_path / "week.csv"
    job = shell.menu_bar.export("csv", all_weeks=False, path=path)
    with qtbot.waitSignal(job.finished, timeout=10_000) as done:
        pass
    assert done.args == [3]
    target = make_week(context, "Target week")
    window.weeks.select_week(target)
    dialog = shell.menu_bar.import_csv(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert context.data.count_week_tasks(target) == 0  # nothing before the user confirms
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported):
        dialog.import_button.click()
    assert _comparable(context.data.get_week_tasks(target)) == _comparable(context.data.get_week_tasks(source))
    assert window.tasks.model.rowCount() == 3


def test_csv_import_lists_row_errors_and_imports_nothing_until_confirmed(window, context, qtbot, tmp_path, shell):
    week_id = make_week(context, "W1")
    window.weeks.select_week(week_id)
    path = tmp_path / "in.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["project_name", "duration", "score", "time_begin", "time_end", "colour"])
        writer.writerow(["Good", "00:10:00", "90", "", "", "red"])
        writer.writerow(["Bad duration", "ten minutes", "90", "", "", ""])
        writer.writerow(["Bad score", "00:10:00", "101", "", "", ""])
        writer.writerow(["Backwards", "00:10:00", "50", "2026-11-26 10:00", "2026-11-26 09:00", ""])
    dialog = shell.menu_bar.import_csv(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    errors = {r.line: r.error for r in dialog.preview.error_rows}
    assert set(errors) == {3, 4, 5}
    assert "HH:MM:SS" in errors[3] and "between 0 and 100" in errors[4] and "before the beginning" in errors[5]
    assert dialog.model.index(0, 5).data() == errors[3]  # problems are listed first
    assert "colour" in dialog.summary.text()
    assert context.data.count_week_tasks(week_id) == 0
    assert dialog.import_button.text() == "Import 1 task"
    with qtbot.waitSignal(dialog.imported):
        dialog.import_button.click()
    assert [t.project_name for t in context.data.get_week_tasks(week_id)] == ["Good"]


def test_json_export_of_all_weeks(window, context, qtbot, tmp_path, shell):
    _tricky_week(context)
    make_week(context, "Second", tasks=4)
    path = tmp_path / "all.json"
    job = shell.menu_bar.export("json", all_weeks=True, path=path)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [w["week_label"] for w in document["weeks"]] == ["Source week", "Second"]
    assert [len(w["tasks"]) for w in document["weeks"]] == [3, 4]
    assert document["weeks"][0]["tasks"][0]["duration"] == "01:02:03"


def test_legacy_import_dialog_shows_report_and_refreshes_views(window, context, qtbot, tmp_path, shell):
    legacy = tmp_path / "legacy.db"
    facts = build_messy_legacy_db(legacy)
    dialog = shell.menu_bar.import_legacy(legacy)
    with qtbot.waitSignal(dialog.importFinished, timeout=20_000) as finished:
        pass
    report = finished.args[0]
    assert report.tasks_imported == facts["tasks"]
    assert dialog.report_view.isVisible()
    assert "Check:" in dialog.report_view.toPlainText()
    assert window.weeks.model.rowCount() == len(context.data.list_weeks()) >= int(str(facts["weeks"]))
    again = shell.menu_bar.import_legacy(legacy)
    with qtbot.waitSignal(again.importFinished, timeout=20_000) as second:
        pass
    assert second.args[0].tasks_imported == 0
    assert "Nothing new" in again.report_view.toPlainText()


def test_legacy_import_can_be_cancelled(window, context, qtbot, tmp_path, shell):
    legacy = tmp_path / "big_legacy.db"
    build_large_legacy_db(legacy, weeks=40, tasks_per_week=500)
    dialog = shell.menu_bar.import_legacy(legacy)
    dialog.cancel_or_close()
    with qtbot.waitSignal(dialog.importFailed, timeout=30_000) as failed:
        pass
    assert "cancel" in failed.args[0]
    assert context.data.list_weeks() == ()
    assert dialog.buttons.isEnabled()
