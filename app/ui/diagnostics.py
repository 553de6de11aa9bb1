"""Help → Diagnostics: version, data dir, DB size/schema/integrity, cache hit rate, row counts.

The database figures (an integrity check reads the whole file) are collected on a worker
thread with its own connection; the dialog fills in when they arrive.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.commands.db_info import collect
from app.monitor import session
from app.monitor.journal import METHODS_IN_USE, read_state
from app.monitor.store import MonitorStore
from app.services.cache import CacheMetrics, CacheService
from app.ui.background import BackgroundTask, JobControl
from app.ui.context import AppContext
from app.version import __version__


def _collect_in_thread(context: AppContext, _control: JobControl) -> dict[str, Any]:
    try:
        info = collect(context.profile)
        wal = Path(str(context.profile.paths.db_path) + "-wal")
        info["wal_size"] = wal.stat().st_size if wal.exists() else 0
        info["monitor_methods"] = read_state(MonitorStore(context.profile.db), METHODS_IN_USE)
        return info
    finally:
        context.profile.db.close_thread()


def cache_lines(cache: CacheService, metrics: CacheMetrics) -> list[str]:
    sizes = ", ".join(f"{name} {size}" for name, size in cache.sizes().items())
    return [
        f"Cache hit rate:   {metrics.get_hit_rate() * 100:.1f} % ({metrics.hits:,} hits, {metrics.misses:,} misses)",
        f"Cache entries:    {sizes}",
    ]


def monitor_lines(found: session.Session) -> list[str]:
    """What the monitor can read on this desktop and which methods it uses (issue 14)."""
    return [f"Desktop session:  {found.kind}{' / ' + found.desktop if found.desktop else ''}",
            f"Monitoring:       {found.window_note}", f"                  {found.idle_note}"]


class DiagnosticsDialog(QDialog):
    """Signals: collected(dict) when the database figures are in."""

    collected = Signal(dict)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.info: dict[str, Any] | None = None
        self.setWindowTitle("Diagnostics")
        self.resize(620, 520)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.buttons)
        self.job = BackgroundTask(lambda control: _collect_in_thread(context, control), self)
        self._connect_signals()
        self._render()
        self.job.start()

    def _connect_signals(self) -> None:
        self.buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        self.job.finished.connect(self._on_collected)
        self.job.failed.connect(lambda message: self._render(error=message))

    @Slot(object)
    def _on_collected(self, info: dict[str, Any]) -> None:
        self.info = info
        self._render()
        self.collected.emit(info)

    def _render(self, error: str | None = None) -> None:
        ctx = self._context
        lines = [
            f"WFH Agent:        {__version__}",
            f"Python / PySide6: {platform.python_version()} / {pyside_version} on {platform.platform()}",
            f"Data folder:      {ctx.profile.paths.data_dir}",
            f"Database:         {ctx.profile.paths.db_path}",
            f"Schema version:   {ctx.profile.schema_version}",
            *cache_lines(ctx.cache, ctx.metrics),
            *monitor_lines(session.detect()),
        ]
        if error:
            lines.append(f"Database figures could not be read: {error}")
        elif self.info is None:
            lines.append("Database size, integrity and row counts: checking…")
        else:
            integrity = self.info["integrity"]
            wal = self.info.get("wal_size", 0)
            lines += [
                f"Database size:    {self.info['file_size'] / 1e6:,.2f} MB (+ {wal / 1e6:,.2f} MB write-ahead log)",
                f"Integrity:        {integrity if integrity == 'ok' else '; '.join(integrity)}",
                f"Monitor in use:   {self.info.get('monitor_methods') or 'not started yet'}",
                "Rows:",
                *(f"  {name:<26}{count:>12,}" for name, count in self.info["tables"].items()),
            ]
        for problem in ctx.profile.problems:
            lines.append(f"Problem: {problem}")
        self.text.setPlainText("\n".join(lines))

    def done(self, result: int) -> None:
        self.job.wait(5000)
        super().done(result)
