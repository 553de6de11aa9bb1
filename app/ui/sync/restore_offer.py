"""The first-run choice "Restore my weeks and tasks from the server" (issue 18): asked once, when the profile has
no weeks and no tasks and a server and key are set. The restore runs on the serialized writer (``BackgroundTask``)
with a progress dialog, then reports its counts; the views re-read once (``notify_bulk_change``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from app.errors import OperationCancelled, WfhError
from app.storage import kv
from app.sync import worklog
from app.ui.background import BackgroundTask, JobControl

OFFERED_KEY = "worklog.restore_offered"
RESTORE_TEXT = "Restore my weeks and tasks from the server"


def restore_summary(result: worklog.PullResult, weeks: int, tasks: int) -> str:
    report = result.report
    lines = [f"Read {result.received.get('weeks', 0):,} weeks and {result.received.get('tasks', 0):,} tasks from "
             f"the server.", f"This profile now has {weeks:,} weeks and {tasks:,} tasks."]
    if result.invalid:
        lines.append(f"{len(result.invalid):,} records were not readable and were skipped (see the log).")
    if report.conflicts:
        lines.append(f"{len(report.conflicts):,} conflicts were resolved by the newer version.")
    return "\n".join(lines)


class RestoreOffer(QObject):
    """Asks the first-run question and runs the restore the user chose.

    Signals:
        restored(object): the ``PullResult`` of a finished restore.
        failed(str): the restore stopped; the message says why (pages read before stay).
    """

    restored = Signal(object)
    failed = Signal(str)

    def __init__(self, context: Any, keystore: Any, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.keystore = keystore
        self.window = window
        self.question: QMessageBox | None = None
        self.progress: QProgressDialog | None = None
        self.report_box: QMessageBox | None = None
        self.task: BackgroundTask | None = None

    def should_offer(self) -> bool:
        profile = self.context.profile
        conn = profile.db.get()
        settings = profile.settings
        return (kv.get(conn, OFFERED_KEY) != "1" and worklog.profile_is_empty(conn)
                and settings.text("ingestion.mode") == "api"
                and bool(settings.text("ingestion.api.base_url").strip()) and bool(self.keystore.get()))

    @Slot()
    def offer(self) -> None:
        """Shows the question (window-modal, not blocking) when it applies."""
        if not self.should_offer():
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Welcome back",
                          "This profile has no weeks or tasks yet, and a server is set up.\n\n"
                          "Your weeks and tasks from your other computers can be restored from the server now.",
                          parent=self.window)
        self.restore_button = box.addButton(RESTORE_TEXT, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Start with an empty profile", QMessageBox.ButtonRole.RejectRole)
        box.setObjectName("restoreOffer")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.finished.connect(self._answered)
        self.question = box
        box.open()

    @Slot(int)
    def _answered(self, _result: int) -> None:
        box = self.question
        if box is None:
            return
        chosen = box.clickedButton() is self.restore_button
        kv.put(self.context.profile.db.get(), {OFFERED_KEY: "1"})
        if chosen:
            self.start()

    def start(self) -> None:
        """Run the restore on the writer thread with a progress dialog (Cancel stops after the current page)."""
        dialog = QProgressDialog("Restoring weeks and tasks from the server…", "Cancel", 0, 0, self.window)
        dialog.setObjectName("restoreProgress")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        self.progress = dialog
        profile, keystore = self.context.profile, self.keystore

        def job(control: JobControl) -> tuple[worklog.PullResult, int, int]:
            conn = profile.db.get()
            client = worklog.client_for(profile.settings, keystore)

            def progressed(_stream: str, _read: int) -> None:
                if control.should_cancel():
                    raise OperationCancelled("restore cancelled; the pages read so far are kept")
                control.progress(_read, 0)

            try:
                result = worklog.restore(conn, client.get_changes, merge=False, progress=progressed)
            except worklog.PullError as exc:
                raise WfhError(worklog.explain(exc)) from None
            finally:
                client.close()
            return (result, *worklog.local_counts(conn))

        task = BackgroundTask(job, self, writer=self.context.writer)
        task.progressed.connect(self._on_progress)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)
        dialog.canceled.connect(task.cancel)
        self.task = task
        task.start()
        dialog.show()

    @Slot(int, int)
    def _on_progress(self, read: int, _total: int) -> None:
        if self.progress is not None:
            self.progress.setLabelText(f"Restoring weeks and tasks from the server… {read:,} records read")

    @Slot(object)
    def _on_finished(self, outcome: tuple[worklog.PullResult, int, int]) -> None:
        result, weeks, tasks = outcome
        self._close_progress()
        self.context.data.notify_bulk_change()
        self._report(QMessageBox.Icon.Information, restore_summary(result, weeks, tasks))
        self.restored.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._close_progress()
        self.context.data.notify_bulk_change()  # pages read before the failure are in
        self._report(QMessageBox.Icon.Warning, f"The restore stopped: {message}")
        self.failed.emit(message)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress.close()
            self.progress = None

    def _report(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, "Restore from the server", text, parent=self.window)
        box.setObjectName("restoreReport")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.report_box = box
        box.open()
