"""The main window's menu bar and the dialogs its entries open (import, export, settings, help).

File pickers are only used when no path is given, so tests call the same methods with paths.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from app import autostart, logging_setup
from app.services.json_import import JsonImportResult, import_document, read_document
from app.sync.keystore import for_profile as keystore_for_profile
from app.sync.worker import SyncController
from app.ui.background import BackgroundTask, JobControl
from app.ui.diagnostics import DiagnosticsDialog
from app.ui.file_dialogs import open_file, save_file
from app.ui.import_export.csv_dialog import CsvImportDialog
from app.ui.import_export.export_job import start_export
from app.ui.import_export.legacy_dialog import LegacyImportDialog
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import apply_theme
from app.ui.timer import TimerController
from app.ui.timer_recovery import TimerRecoveryDialog
from app.version import __version__

FILTERS = {"csv": "CSV files (*.csv)", "json": "JSON files (*.json)"}


class MenuBar(QObject):
    """Fills the window's menu bar (File, Task, Monitoring once the workers exist, Help) and runs its entries.

    Signals:
        settingsSaved(list[str] changed): the settings dialog saved; the shell tells the workers.
    """

    settingsSaved = Signal(list)

    def __init__(self, window: MainWindow, timer: TimerController, quit_action: QAction) -> None:
        super().__init__(window)
        self.window = window
        self.timer = timer
        self.messages = window.messages
        self.sync: SyncController | None = None
        self.jobs: list[BackgroundTask] = []
        self._build(quit_action)

    def _build(self, quit_action: QAction) -> None:
        w = self.window
        bar = w.menuBar()
        file_menu = bar.addMenu("&File")
        new_week = file_menu.addAction("New week…", w.weeks.open_new_dialog)
        new_week.setShortcut(QKeySequence("Ctrl+Shift+N"))
        file_menu.addSeparator()
        file_menu.addAction("Import tasks from CSV…", lambda: self.import_csv())
        file_menu.addAction("Import tasks from JSON export…", lambda: self.import_json())
        file_menu.addAction("Import legacy database…", lambda: self.import_legacy())
        export_menu = file_menu.addMenu("Export")
        export_menu.addAction("This week as CSV…", lambda: self.export("csv", all_weeks=False))
        export_menu.addAction("This week as JSON…", lambda: self.export("json", all_weeks=False))
        export_menu.addAction("All weeks as CSV…", lambda: self.export("csv", all_weeks=True))
        export_menu.addAction("All weeks as JSON…", lambda: self.export("json", all_weeks=True))
        file_menu.addSeparator()
        settings = file_menu.addAction("Settings…", self.open_settings)
        preferences = [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) if not k.isEmpty()]
        settings.setShortcuts(list(dict.fromkeys([QKeySequence("Ctrl+,"), *preferences])))
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(w.history.action)
        task_menu = bar.addMenu("&Task")
        for action in (w.tasks.new_action, w.tasks.edit_action, w.tasks.delete_action, w.tasks.timer_action,
                       w.tasks.move_action, w.tasks.filter_action, w.tasks.clear_filter_action):
            task_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("Diagnostics…", self.open_diagnostics)
        help_menu.addAction("Open log folder", self.open_log_folder)
        help_menu.addAction("About WFH Agent", self.show_about)

    def add_monitoring_menu(self, pause_menu: QMenu, sync_actions: list[QAction], sync: SyncController) -> None:
        """The Monitoring menu once the workers exist: pause choices, then the shared sync actions."""
        self.sync = sync
        bar = self.window.menuBar()
        menu = QMenu("&Monitoring", bar)
        menu.addMenu(pause_menu)
        menu.addSeparator()
        menu.addActions(sync_actions)
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_action is not None:  # Help stays last
            bar.insertMenu(help_action, menu)
        else:
            bar.addMenu(menu)

    # ---- import / export ---------------------------------------------------------------------
    def _current_week(self) -> tuple[int, str] | None:
        week_id = self.window.tasks.model.week_id
        week = self.window.context.data.get_week_data(week_id) if week_id else None
        if week is None:
            self.messages.info("Select or create a week first.")
            return None
        return week.id, week.week_label

    def import_csv(self, path: Path | None = None) -> CsvImportDialog | None:
        week = self._current_week()
        if week is None:
            return None
        if path is None:
            path = open_file(self.window, self.window.context.state, "Import tasks from CSV", FILTERS["csv"])
            if path is None:
                return None
        context = self.window.context
        dialog = CsvImportDialog(context.data, context.writer, week[0], week[1], path, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(lambda n: self.messages.result(f"Imported {n:,} tasks."))
        dialog.open()
        return dialog

    def import_json(self, path: Path | None = None) -> BackgroundTask | None:
        """Import the app's own JSON export on the serialized writer (duplicates skipped), then publish once."""
        if path is None:
            path = open_file(self.window, self.window.context.state, "Import tasks from JSON export", FILTERS["json"])
            if path is None:
                return None
        context = self.window.context
        chosen = path

        def run(control: JobControl) -> JsonImportResult:
            document = read_document(chosen)
            return import_document(context.profile.db.get(), document, control.progress, control.should_cancel)

        self.messages.progress(f"Importing {path.name}…")
        job = context.writer.submit(run, self)
        job.finished.connect(lambda result: context.data.publish(result.changes))
        job.finished.connect(lambda result: self.messages.result(result.summary()))
        job.failed.connect(lambda message: QMessageBox.warning(self.window, "Nothing was imported", message))
        self.jobs.append(job)
        job.finished.connect(lambda _r: self._forget(job))
        job.failed.connect(lambda _m: self._forget(job))
        job.start()
        return job

    def import_legacy(self, path: Path | None = None) -> LegacyImportDialog | None:
        if path is None:
            path = open_file(self.window, self.window.context.state, "Import legacy database",
                             "SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)")
            if path is None:
                return None
        ctx = self.window.context
        dialog = LegacyImportDialog(ctx.profile, ctx.data, ctx.writer, path, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def export(self, kind: str, *, all_weeks: bool, path: Path | None = None) -> BackgroundTask | None:
        week_id: int | None = None
        name = "wfh-agent-all-weeks"
        if not all_weeks:
            week = self._current_week()
            if week is None:
                return None
            week_id, name = week[0], week[1]
        if path is None:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            path = save_file(self.window, self.window.context.state, "Export", f"{safe}.{kind}", FILTERS[kind])
            if path is None:
                return None
        self.messages.progress(f"Exporting to {path}…")
        job = start_export(self.window.context.profile, path, week_id, kind, self)
        job.finished.connect(lambda count: self.messages.result(f"Exported {count:,} tasks to {path}."))
        job.failed.connect(lambda message: QMessageBox.warning(self.window, "Export failed", message))
        self.jobs.append(job)
        job.finished.connect(lambda _r: self._forget(job))
        job.failed.connect(lambda _m: self._forget(job))
        return job

    def _forget(self, job: BackgroundTask) -> None:
        if job in self.jobs:
            job.wait(1000)
            self.jobs.remove(job)

    # ---- settings, help, recovery ------------------------------------------------------------
    @Slot()
    def open_settings(self) -> SettingsDialog:
        profile = self.window.context.profile
        sync = self.sync
        keys = sync.keystore if sync is not None else keystore_for_profile(profile.paths, profile.settings)
        dialog = SettingsDialog(profile.settings, profile.paths, keys, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settingsSaved.connect(self._on_settings_saved)
        if sync is not None:
            dialog.sync_page.identityConfirmed.connect(sync.identity_confirmed)
        dialog.open()
        return dialog

    @Slot(list)
    def _on_settings_saved(self, changed: list[str]) -> None:
        app = QApplication.instance()
        profile = self.window.context.profile
        if "general.theme" in changed and isinstance(app, QApplication):
            apply_theme(app, profile.settings.text("general.theme"))
        if "general.log_level" in changed:
            logging_setup.set_level(profile.settings.text("general.log_level"))
        self.settingsSaved.emit(changed)
        if "general.autostart" in changed:
            try:
                autostart.apply(bool(profile.settings.get("general.autostart")),
                                autostart.default_command(profile.paths.data_dir))
            except OSError as exc:
                QMessageBox.warning(self.window, "Start at login", f"The autostart entry could not be changed: {exc}")
        self.messages.info("Settings saved." if changed else "No settings changed.")

    @Slot()
    def open_diagnostics(self) -> DiagnosticsDialog:
        dialog = DiagnosticsDialog(self.window.context, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def open_log_folder(self) -> None:
        """Show the log folder in the desktop's file manager (or say where it is)."""
        log_dir = self.window.context.profile.paths.log_dir
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir))):
            QMessageBox.information(self.window, "Log folder",
                                    f"The logs are in {self.window.context.profile.paths.log_dir}")

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self.window, "About WFH Agent",
                          f"WFH Agent {__version__}\nOffline-first time tracker and work-from-home agent.")

    @Slot()
    def offer_timer_recovery(self) -> TimerRecoveryDialog | None:
        """If the last run ended with a timer running, ask: resume, stop at last known time, discard."""
        saved = self.timer.pending_recovery()
        if saved is None:
            return None
        dialog = TimerRecoveryDialog(self.timer, self.window.context.data, saved, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def shutdown(self) -> None:
        """Let running exports finish writing their file before the app quits."""
        for job in list(self.jobs):
            job.wait(10_000)
        self.jobs.clear()
