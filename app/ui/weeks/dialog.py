"""Create or edit a week with every seed-002 field and its start date; saves only when DataService accepts it.

A new week starts on this ISO week's Monday and its label follows the chosen date ("2026-W48") until
the user types a label of their own. Labels are unique ignoring case; edits can be undone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.models import Week
from app.domain.timeparse import format_duration
from app.domain.weeks import iso_week_label, monday_of
from app.errors import ValidationError, WfhError
from app.services.data_service import DataService
from app.ui.form_errors import FieldErrors, error_label
from app.ui.pickers import OptionalDateTime
from app.ui.undo import UndoHistory

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class WeekDialog(QDialog):
    """Signals: saved(int week_id) after the week was written."""

    saved = Signal(int)

    def __init__(self, data_service: DataService, week: Week | None = None, parent: QWidget | None = None, *,
                 history: UndoHistory | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._week = week
        self._history = history
        self._auto_label = ""
        self.setWindowTitle("Edit week" if week else "New week")
        self.errors = FieldErrors()
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("e.g. 2026-W48")
        self.start_date = OptionalDateTime(date_only=True)
        self.start_date.setObjectName("start_date")
        self.start_date.setToolTip("The day the week begins; weeks are listed by it")
        self.start_day = self._day_combo()
        self.start_hour = self._hour_spin()
        self.end_day = self._day_combo()
        self.end_hour = self._hour_spin()
        self.custom_duration = QCheckBox("Custom duration (not a plain Monday–Sunday week)")
        self.bonus_week = QCheckBox("Bonus week")
        self.bonus_rate = QDoubleSpinBox()
        self.bonus_rate.setRange(0, 1_000_000)
        self.bonus_rate.setDecimals(2)
        self.bonus_rate.setSuffix(" per hour")
        self.bonus_threshold = QLineEdit()
        self.bonus_threshold.setPlaceholderText("e.g. 40h or 40:00 worked before the bonus applies")
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(70)
        self.general_error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self._build_layout()
        self._fill(week)
        self._connect_signals()

    @staticmethod
    def _day_combo() -> QComboBox:
        combo = QComboBox()
        combo.addItems(DAYS)
        return combo

    @staticmethod
    def _hour_spin() -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, 23)
        spin.setSuffix(":00")
        return spin

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Label", self.label_edit)
        form.addRow("", self.errors.make_label("week_label", self.label_edit))
        form.addRow("Start date", self.start_date)
        form.addRow("", self.errors.make_label("start_date", self.start_date.editor))
        form.addRow("Starts", self._pair(self.start_day, self.start_hour))
        form.addRow("Ends", self._pair(self.end_day, self.end_hour))
        form.addRow("", self.custom_duration)
        form.addRow("", self.bonus_week)
        form.addRow("Bonus rate", self.bonus_rate)
        form.addRow("", self.errors.make_label("bonus_rate", self.bonus_rate))
        form.addRow("Bonus threshold", self.bonus_threshold)
        form.addRow("", self.errors.make_label("bonus_threshold", self.bonus_threshold))
        form.addRow("Notes", self.notes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)

    @staticmethod
    def _pair(left: QWidget, right: QWidget) -> QWidget:
        from PySide6.QtWidgets import QHBoxLayout

        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(left, 2)
        row.addWidget(right, 1)
        return box

    def _fill(self, week: Week | None) -> None:
        if week is None:
            self.end_day.setCurrentIndex(6)
            self.end_hour.setValue(23)
            monday = monday_of(date.today())
            self.start_date.set_value(monday.isoformat())
            self._auto_label = iso_week_label(monday)
            self.label_edit.setText(self._auto_label)
        else:
            self.label_edit.setText(week.week_label)
            self.start_date.set_value(week.start_date)
            self.start_day.setCurrentIndex(week.week_start_day)
            self.start_hour.setValue(week.week_start_hour)
            self.end_day.setCurrentIndex(week.week_end_day)
            self.end_hour.setValue(week.week_end_hour)
            self.custom_duration.setChecked(bool(week.is_custom_duration))
            self.bonus_week.setChecked(bool(week.is_bonus_week))
            self.bonus_rate.setValue(week.bonus_rate)
            self.bonus_threshold.setText(format_duration(week.bonus_threshold_seconds))
            self.notes.setPlainText(week.notes)
        self._update_bonus_enabled()

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        self.bonus_week.toggled.connect(self._update_bonus_enabled)
        self.label_edit.textEdited.connect(lambda _t: self.errors.clear("week_label"))
        self.start_date.valueChanged.connect(self._on_start_date_changed)
        self.bonus_threshold.textEdited.connect(lambda _t: self.errors.clear("bonus_threshold"))

    def _on_start_date_changed(self) -> None:
        """Keep the label on the date's ISO week while it is still the one filled in for the user."""
        self.errors.clear("start_date")
        value = self.start_date.value()
        if not value or self.label_edit.text() != self._auto_label:
            return
        self._auto_label = iso_week_label(date.fromisoformat(value))
        self.label_edit.setText(self._auto_label)

    def _update_bonus_enabled(self) -> None:
        enabled = self.bonus_week.isChecked()
        self.bonus_rate.setEnabled(enabled)
        self.bonus_threshold.setEnabled(enabled)

    def values(self) -> dict[str, Any]:
        threshold: Any = self.bonus_threshold.text().strip() or 0
        return {
            "week_label": self.label_edit.text(),
            "week_start_day": self.start_day.currentIndex(),
            "week_start_hour": self.start_hour.value(),
            "week_end_day": self.end_day.currentIndex(),
            "week_end_hour": self.end_hour.value(),
            "is_custom_duration": int(self.custom_duration.isChecked()),
            "is_bonus_week": int(self.bonus_week.isChecked()),
            "bonus_rate": float(self.bonus_rate.value()),
            "bonus_threshold_seconds": threshold,
            "notes": self.notes.toPlainText(),
            "start_date": self.start_date.value(),
        }

    def try_save(self) -> bool:
        """Write the week; on a ValidationError show it inline and keep the dialog open."""
        self.errors.clear()
        self.general_error.hide()
        values = self.values()
        try:
            if self._week is None:
                label = values.pop("week_label")
                week_id = self._data.create_week(label, **values)
            else:
                week_id = self._week.id
                self._data.update_week(week_id, **values)
                self._remember_for_undo(self._week, values)
        except ValidationError as exc:
            if exc.field in self.errors.labels:
                self.errors.show(exc.field, str(exc))
            else:
                self.general_error.setText(str(exc))
                self.general_error.show()
            return False
        except WfhError as exc:
            self.general_error.setText(str(exc))
            self.general_error.show()
            return False
        self.saved.emit(week_id)
        self.accept()
        return True

    def _remember_for_undo(self, old: Week, values: dict[str, Any]) -> None:
        if self._history is None:
            return
        data, before = self._data, {field: getattr(old, field) for field in values}
        self._history.push(f"Edit week “{old.week_label}”", lambda: data.update_week(old.id, **before))
