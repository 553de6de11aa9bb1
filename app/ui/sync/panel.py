"""The Sync panel of the main window (seed 004): state, last success, pending per stream, quarantined
records with the server's reason (Retry / Discard each), the recent sync_log, and buttons for the shared
Sync now / Work offline actions.

Reads the database on the GUI thread only for these small tables (≤ 500 quarantine rows, 50 log rows),
and only when the worker reports a change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.sync import outbox, state
from app.sync.policy import ALL_STREAMS
from app.sync.status import SyncStatus, current_status
from app.ui.sync.actions import SyncActions
from app.ui.sync.status import describe, sync_icon


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _item(value: Any) -> QTableWidgetItem:
    item = QTableWidgetItem("" if value is None else str(value))
    if isinstance(value, int):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _plain_label() -> QLabel:
    """A label that never renders rich text: status texts carry server and device text (``<img src=…>``)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _plain_tip(text: str) -> str:
    """A tooltip shown as the literal text: Qt guesses rich text for tooltips and has no format switch."""
    return GuiQt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal) if text else ""


def _checkbox_for(action: QAction) -> QCheckBox:
    """A check box that shows a checkable action and triggers it: the action stays the one state."""
    box = QCheckBox(action.text())
    box.setToolTip(action.toolTip())
    box.setChecked(action.isChecked())
    box.clicked.connect(lambda _checked: action.trigger())
    action.toggled.connect(box.setChecked)
    return box


class SyncPanel(QWidget):
    """``db`` is a ConnectionFactory (the GUI thread gets its own connection); ``actions`` the shared
    Sync now / Work offline actions. The shell connects the worker's signals to ``show_status``,
    ``on_pending`` and ``refresh``. Signals: none."""

    def __init__(self, db: Any, actions: SyncActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.status: SyncStatus | None = None  # the worker's, once it has reported
        self.icon = QLabel()
        self.state_label = _plain_label()
        self.state_label.setObjectName("syncState")
        self.last_label = _plain_label()
        self.setup_hint = _plain_label()  # why nothing is uploaded and how to set a server up
        self.setup_hint.setObjectName("syncSetupHint")
        self.setup_hint.setWordWrap(True)
        self.setup_hint.setStyleSheet("QLabel { border: 1px solid palette(mid); padding: 6px; }")
        self.setup_hint.hide()
        self.offline_switch = _checkbox_for(actions.work_offline)
        self.sync_button = QToolButton()
        self.sync_button.setDefaultAction(actions.sync_now)
        top = QHBoxLayout()
        for widget in (self.icon, self.state_label):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.offline_switch)
        top.addWidget(self.sync_button)
        self.pending_table = _table(["Stream", "Pending", "Quarantined"])
        self.quarantine_table = _table(["When", "Stream", "Record", "HTTP", "Reason", "", ""])
        self.log_table = _table(["When", "Stream", "Records", "Result", "HTTP", "ms", "Error"])
        self.quarantine_notice = _plain_label()  # what a Retry could not do
        self.quarantine_notice.setWordWrap(True)
        self.quarantine_notice.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.setup_hint)
        layout.addWidget(self.last_label)
        for title, table in (("Pending", self.pending_table), ("Quarantined records", self.quarantine_table),
                             ("Recent sync attempts", self.log_table)):
            box = QGroupBox(title)
            column = QVBoxLayout(box)
            column.addWidget(table)
            if table is self.quarantine_table:
                column.addWidget(self.quarantine_notice)
            layout.addWidget(box)
        self.refresh()

    # ---- slots for the worker's signals ---------------------------------------------------------
    @Slot(object)
    def show_status(self, status: SyncStatus) -> None:
        self.status = status
        self._show_status(status)

    @Slot(dict)
    def on_pending(self, pending: dict[str, int]) -> None:
        self._fill_pending(pending, outbox.quarantined_counts(self.db.get()))

    @Slot(dict)
    def on_sync_finished(self, _result: dict) -> None:
        self.refresh()

    def show_setup_hint(self, text: str | None) -> None:
        """Say why nothing is uploaded and how to set a server up (None hides it)."""
        self.setup_hint.setText(text or "")
        self.setup_hint.setVisible(bool(text))

    # ---- drawing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        conn = self.db.get()
        pending = outbox.pending_counts(conn, ALL_STREAMS)
        self._fill_pending(pending, outbox.quarantined_counts(conn))
        self._fill_quarantine(state.quarantine_list(conn))
        self._fill_log(state.recent_log(conn, 50))
        self._show_status(self.status or current_status(conn))

    def _show_status(self, status: SyncStatus) -> None:
        self.icon.setPixmap(sync_icon(status.state).pixmap(22, 22))
        self.state_label.setText(describe(status))
        self.state_label.setToolTip(_plain_tip(status.detail))
        self.last_label.setText(f"Last successful upload: {status.last_success or 'never'}")

    def _fill_pending(self, pending: dict[str, int], quarantined: dict[str, int]) -> None:
        self.pending_table.setRowCount(len(ALL_STREAMS))
        for row, stream in enumerate(ALL_STREAMS):
            for col, value in enumerate((stream, pending.get(stream, 0), quarantined.get(stream, 0))):
                self.pending_table.setItem(row, col, _item(value))

    def _fill_quarantine(self, rows: list[dict[str, Any]]) -> None:
        self.quarantine_table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            values = (row["quarantined_at"], row["stream"], row["client_id"], row["http_status"], row["error"])
            for col, value in enumerate(values):
                self.quarantine_table.setItem(index, col, _item(value))
            retry, discard = QPushButton("Retry"), QPushButton("Discard")
            retry.clicked.connect(lambda _=False, qid=row["id"]: self.retry(qid))
            discard.clicked.connect(lambda _=False, qid=row["id"]: self.discard(qid))
            self.quarantine_table.setCellWidget(index, 5, retry)
            self.quarantine_table.setCellWidget(index, 6, discard)

    def _fill_log(self, rows: list[dict[str, Any]]) -> None:
        self.log_table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            values = (row["created_at"], row["stream"], row["record_count"], row["result"], row["http_status"],
                      row["duration_ms"], row["error"])
            for col, value in enumerate(values):
                self.log_table.setItem(index, col, _item(value))

    # ---- quarantine actions ---------------------------------------------------------------------
    def retry(self, quarantine_id: int) -> None:
        """Back into the outbox; it goes with the next cycle (never automatically, §10.8)."""
        if outbox.retry_quarantined(self.db.get(), quarantine_id):
            self.quarantine_notice.hide()
        else:
            self.quarantine_notice.setText("This record is no longer on this computer, so it cannot be sent again;"
                                           " it stays in the list (its data is kept there) until you discard it.")
            self.quarantine_notice.show()
        self.refresh()

    def discard(self, quarantine_id: int) -> None:
        outbox.discard_quarantined(self.db.get(), quarantine_id)
        self.refresh()
