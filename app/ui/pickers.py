"""Optional date and date-time inputs: a check box ("set") beside a calendar-popup editor.

A plain QDateEdit cannot be empty, but a task's begin, end and audit date may be; unticked means
"none". The editors keep keyboard entry (type over each section, arrows step it). A value loaded
from the database and left untouched is handed back exactly as it was (seconds and offset kept).
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QTime, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QDateEdit, QDateTimeEdit, QHBoxLayout, QWidget

DATETIME_FORMAT = "yyyy-MM-dd HH:mm"
DATE_FORMAT = "yyyy-MM-dd"


class OptionalDateTime(QWidget):
    """A date-time (or, with ``date_only``, a date) that may also be unset.

    Signals:
        valueChanged(): the value was set, cleared or edited.
    """

    valueChanged = Signal()

    def __init__(self, *, date_only: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._date_only = date_only
        self._loaded: str | None = None
        self._loaded_at: QDateTime | None = None
        self.enabled_box = QCheckBox()
        self.enabled_box.setToolTip("Tick to set a value; unticked means none")
        self.editor: QDateTimeEdit = QDateEdit() if date_only else QDateTimeEdit()
        self.editor.setCalendarPopup(True)
        self.editor.setDisplayFormat(DATE_FORMAT if date_only else DATETIME_FORMAT)
        self.editor.setDateTime(self._default_now())
        self.editor.setEnabled(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.enabled_box)
        row.addWidget(self.editor, 1)
        self.enabled_box.toggled.connect(self._on_toggled)
        self.enabled_box.clicked.connect(self._on_clicked)
        self.editor.dateTimeChanged.connect(lambda _value: self.valueChanged.emit())

    @staticmethod
    def _default_now() -> QDateTime:
        now = QDateTime.currentDateTime()
        return QDateTime(now.date(), QTime(now.time().hour(), now.time().minute()))

    @Slot(bool)
    def _on_toggled(self, checked: bool) -> None:
        self.editor.setEnabled(checked)
        self.valueChanged.emit()

    @Slot(bool)
    def _on_clicked(self, checked: bool) -> None:
        if checked:  # ticked by the user (not by loading a value): type the date right away
            self.editor.setFocus()

    def is_set(self) -> bool:
        return self.enabled_box.isChecked()

    def value(self) -> str | None:
        """ISO text (``2026-11-26T10:00:00`` or ``2026-11-26``), or None when unset."""
        if not self.is_set():
            return None
        current = self.editor.dateTime()
        if self._loaded is not None and self._loaded_at is not None and current == self._loaded_at:
            return self._loaded
        if self._date_only:
            return current.date().toString("yyyy-MM-dd")
        return current.toString("yyyy-MM-ddTHH:mm:00")

    def set_value(self, text: str | None) -> None:
        """Show ``text`` (ISO date or date-time); None or blank unticks the box."""
        self._loaded, self._loaded_at = None, None
        if not text:
            self.enabled_box.setChecked(False)
            return
        try:
            self.editor.setDateTime(self._parse(text))
        except ValueError:
            pass  # kept as it was (and reported by the dialog's checks) until the user picks a value
        self._loaded, self._loaded_at = text, self.editor.dateTime()
        self.enabled_box.setChecked(True)

    def set_datetime(self, moment: datetime) -> None:
        """Set (and tick) from a Python datetime; the dialog's "fix" buttons use it."""
        self._loaded, self._loaded_at = None, None
        self.editor.setDateTime(QDateTime(QDate(moment.year, moment.month, moment.day),
                                          QTime(moment.hour, moment.minute, moment.second)))
        self.enabled_box.setChecked(True)

    def _parse(self, text: str) -> QDateTime:
        if self._date_only:
            day = date.fromisoformat(text[:10])
            return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0))
        moment = datetime.fromisoformat(text)
        return QDateTime(QDate(moment.year, moment.month, moment.day),
                         QTime(moment.hour, moment.minute, moment.second))
