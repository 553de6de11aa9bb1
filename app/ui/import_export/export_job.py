"""Start an export on a worker thread (its own connection) and report the result as signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from app.profile import Profile
from app.ui.background import BackgroundTask, JobControl
from app.ui.import_export.formats import export_csv, export_json

EXPORTERS = {"csv": export_csv, "json": export_json}


def start_export(profile: Profile, path: Path, week_id: int | None, kind: str,
                 parent: QObject | None = None) -> BackgroundTask:
    """Export one week (or all when ``week_id`` is None) as ``kind`` (csv/json); ``finished`` gives the count."""
    exporter = EXPORTERS[kind]

    def run(control: JobControl) -> int:
        conn = profile.db.get()  # this worker thread's own connection
        try:
            conn.execute("BEGIN")  # one read snapshot: edits made meanwhile do not tear the file
            return exporter(conn, path, week_id, control.progress)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            profile.db.close_thread()

    task = BackgroundTask(run, parent)
    task.start()
    return task
