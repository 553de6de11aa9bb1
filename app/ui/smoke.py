"""``--smoke-test``: prove a packaged build works — window, DB, one task written and read back."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.ui.shell import Shell

SMOKE_WEEK = "wfh-agent smoke test"


def run_smoke_test(shell: Shell) -> int:
    """Create a throwaway week with one task, check it reads back, delete it, quit; 0 on success."""
    window = shell.window
    data = window.context.data
    window.show()
    QApplication.processEvents()
    existing = next((w.id for w in data.list_weeks() if w.week_label == SMOKE_WEEK), None)
    if existing is not None:
        data.delete_week(existing)
    week_id = data.create_week(SMOKE_WEEK)
    try:
        task_id = data.create_task(week_id, {"project_name": "smoke", "duration": "00:01:00", "score": 100})
        QApplication.processEvents()
        ok = data.get_task(task_id).duration_seconds == 60 and window.tasks.model.row_of(task_id) is not None
    finally:
        data.delete_week(week_id)
    print("smoke test: ok" if ok else "smoke test: FAILED", file=sys.stderr if not ok else sys.stdout)
    shell.quit()
    QApplication.processEvents()
    return 0 if ok else 1
