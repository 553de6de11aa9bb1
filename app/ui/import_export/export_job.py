"""Start an export on a worker thread (its own connection) and report the result as signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from app.profile import Profile
from app.storage.db import read_snapshot
from app.ui.background import BackgroundTask, JobControl
from app.ui.import_export.formats import export_csv, export_json

EXPORTERS = {"csv": export_csv, "json": export_json}


def start_export(profile: Profile, path: Path, week_id: int | None, kind: str,
                 parent: QObject | None = None) -> BackgroundTask:
    """Export one week (or all when ``week_id`` is None) as ``kind`` (csv/json); ``finished`` gives the count."""
    exporter = EXPORTERS[kind]

    def run(control: JobControl) -> int:
        try:  # this worker thread's own connection; one snapshot: edits made meanwhile do not tear the file
            with read_snapshot(profile.db.get()) as conn:
                return exporter(conn, path, week_id, control.progress)
        finally:
            profile.db.close_thread()

    task = BackgroundTask(run, parent)
    task.start()
    return task
