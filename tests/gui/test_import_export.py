"""Export → import round trip through the real dialogs, CSV row errors, and the legacy import dialog."""

from __future__ import annotations

import csv
import json
import threading

from PySide6.QtCore import Qt

from app.domain.changes import BULK_ROWS, Changes
from app.domain.models import Task
from app.services import data_service as data_service_module
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
        {"project_name": "日本語", "duration": "2:05:30", "score": 0, "feedback": "  leading spaces kept"},
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
    # the export's rows are already in the profile: flagged and skipped unless ticked (issue 15)
    assert sorted(r.duplicate or "" for r in dialog.preview.rows) == sorted(
        f"duplicate of task {t.id}" for t in context.data.get_week_tasks(source))
    assert dialog.import_button.text() == "Import 0 tasks" and not dialog.import_button.isEnabled()
    assert dialog.model.index(0, 1).data() == "skip" and "already in this profile" in dialog.summary.text()
    model = dialog.model
    for row in range(model.rowCount()):
        model.setData(model.index(row, model.IMPORT_COLUMN), Qt.CheckState.Checked.value,
                      Qt.ItemDataRole.CheckStateRole)
    assert dialog.import_button.text() == "Import 3 tasks"
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
    assert "not a duration" in errors[3] and "between 0 and 100" in errors[4] and "before the beginning" in errors[5]
    assert dialog.model.index(0, 6).data() == errors[3]  # problems are listed first
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


def _write_csv(path, count: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["project_name", "duration", "score"])
        for i in range(count):
            writer.writerow([f"Row {i}", "00:01:00", str(i % 100)])


def test_csv_import_writes_on_the_writer_thread_and_publishes_one_bulk_change(
        window, context, qtbot, tmp_path, shell, monkeypatch):
    week_id = make_week(context, "Bulk")
    window.weeks.select_week(week_id)
    assert context.data.get_week_tasks(week_id) == ()  # warm cache: must be dropped before the signal
    path = tmp_path / "bulk.csv"
    _write_csv(path, BULK_ROWS + 50)
    write_threads: set[int] = set()
    real_insert = data_service_module.repo.insert_task

    def recording_insert(*args, **kwargs):
        write_threads.add(threading.get_ident())
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(data_service_module.repo, "insert_task", recording_insert)
    seen: list[tuple[bool, Changes, int]] = []
    context.data.changed.connect(lambda changes: seen.append(
        (threading.current_thread() is threading.main_thread(), changes, len(context.data.get_week_tasks(week_id)))))
    dialog = shell.menu_bar.import_csv(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as imported:
        dialog.import_button.click()
    assert imported.args == [BULK_ROWS + 50]
    assert write_threads and threading.main_thread().ident not in write_threads  # before: the GUI thread wrote
    assert len(seen) == 1
    on_gui_thread, changes, rows_seen_in_slot = seen[0]
    assert on_gui_thread and changes.bulk and changes.weeks == {week_id}
    assert rows_seen_in_slot == BULK_ROWS + 50  # the cache was dropped before the signal
    assert window.tasks.model.rowCount() == BULK_ROWS + 50


def test_csv_import_cancel_while_queued_writes_nothing(window, context, qtbot, tmp_path, shell):
    week_id = make_week(context, "Cancelled")
    window.weeks.select_week(week_id)
    path = tmp_path / "many.csv"
    _write_csv(path, 500)
    dialog = shell.menu_bar.import_csv(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    release = threading.Event()
    blocker = context.writer.submit(lambda _control: release.wait(10))
    blocker.start()  # the writer is busy, so the import waits in the queue behind it
    changes: list[Changes] = []
    context.data.changed.connect(changes.append)
    dialog.import_button.click()
    assert dialog.progress.isVisible() and not dialog.import_button.isEnabled()
    dialog.reject()  # Cancel while the import waits: the dialog stays until the writer has answered
    assert dialog.isVisible() and "Cancelling" in dialog.summary.text()
    with qtbot.waitSignal(dialog.write.failed, timeout=10_000) as failed:
        release.set()
    assert "cancelled" in failed.args[0]
    assert "Nothing was imported" in dialog.summary.text() and dialog.import_button.isEnabled()
    assert context.data.count_week_tasks(week_id) == 0 and changes == []
    dialog.reject()
    assert not dialog.isVisible()


def test_csv_import_cancel_during_the_write_rolls_back(context, qtbot):
    week_id = make_week(context, "Rolled back")
    rows = [{"project_name": f"Row {i}", "duration": 60} for i in range(5000)]
    task = context.writer.submit(lambda control: context.data.write_tasks(
        week_id, rows, "import", lambda done, _total: done >= 2000 and task.cancel(), control.should_cancel))
    with qtbot.waitSignal(task.failed, timeout=20_000) as failed:
        task.start()
    assert "cancelled" in failed.args[0]
    assert context.data.count_week_tasks(week_id) == 0
