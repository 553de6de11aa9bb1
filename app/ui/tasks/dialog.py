"""Add or edit a task. Every field is checked with the services' own validation rules and the
problems are shown next to their fields; nothing is written until all of them are valid."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain import validation
from app.domain.models import Task
from app.errors import ValidationError, WfhError
from app.services.data_service import DataService
from app.ui.form_errors import FieldErrors, error_label

# (field, label, placeholder) of the one-line text inputs, in form order.
LINE_FIELDS = (
    ("project_name", "Project", "project name"),
    ("project_id", "Project ID", ""),
    ("attempt_id", "Attempt ID", ""),
    ("operation_id", "Operation ID", ""),
    ("duration", "Duration", "HH:MM:SS or MM:SS"),
    ("time_limit", "Time limit", "HH:MM:SS or MM:SS, empty for none"),
    ("score", "Score", "0–100"),
    ("date_audited", "Date audited", "YYYY-MM-DD"),
    ("locale", "Locale", "e.g. en_US"),
    ("time_begin", "Begin", "YYYY-MM-DD HH:MM"),
    ("time_end", "End", "YYYY-MM-DD HH:MM"),
)


class TaskDialog(QDialog):
    """Signals: saved(int task_id) after the task was written."""

    saved = Signal(int)

    def __init__(self, data_service: DataService, week_id: int, task: Task | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._week_id = week_id
        self._task = task
        self.setWindowTitle("Edit task" if task else "New task")
        self.setMinimumWidth(460)
        self.errors = FieldErrors()
        self.fields: dict[str, QLineEdit] = {}
        for name, _label, placeholder in LINE_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.setPlaceholderText(placeholder)
            self.fields[name] = edit
        self.bonus_paid = QCheckBox("Bonus paid")
        self.feedback = QPlainTextEdit()
        self.feedback.setFixedHeight(80)
        self.general_error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self._build_layout()
        if task is not None:
            self._fill(task)
        self._connect_signals()

    def _build_layout(self) -> None:
        form = QFormLayout()
        for name, label, _placeholder in LINE_FIELDS:
            form.addRow(label, self.fields[name])
            form.addRow("", self.errors.make_label(name, self.fields[name]))
        form.addRow("", self.bonus_paid)
        form.addRow("Feedback", self.feedback)
        form.addRow("", self.errors.make_label("feedback", self.feedback))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)

    def _fill(self, task: Task) -> None:
        values = {
            "project_name": task.project_name, "project_id": task.project_id, "attempt_id": task.attempt_id,
            "operation_id": task.operation_id, "duration": task.duration_display,
            "time_limit": task.time_limit_display if task.time_limit_seconds else "",
            "score": str(task.score), "date_audited": task.date_audited, "locale": task.locale,
            "time_begin": (task.time_begin or "").replace("T", " "),
            "time_end": (task.time_end or "").replace("T", " "),
        }
        for name, value in values.items():
            self.fields[name].setText(value or "")
        self.bonus_paid.setChecked(bool(task.bonus_paid))
        self.feedback.setPlainText(task.feedback or "")

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        for name, edit in self.fields.items():
            edit.textEdited.connect(lambda _text, field=name: self.errors.clear(field))
            edit.editingFinished.connect(lambda field=name: self._check_field(field))

    def values(self) -> dict[str, Any]:
        """The form as ``validate_task`` input; empty optional text becomes None."""
        data: dict[str, Any] = {name: edit.text().strip() or None for name, edit in self.fields.items()}
        data["duration"] = data["duration"] or 0
        data["time_limit"] = data["time_limit"] or 0
        data["bonus_paid"] = int(self.bonus_paid.isChecked())
        data["feedback"] = self.feedback.toPlainText() or None
        return data

    def _check_field(self, field: str) -> None:
        try:
            validation.validate_task({field: self.values()[field]}, partial=True)
        except ValidationError as exc:
            self.errors.show(field, str(exc))

    def validate(self) -> dict[str, str]:
        """Show every problem at once; returns {field: message} (empty when the task can be saved)."""
        self.errors.clear()
        self.general_error.hide()
        data = self.values()
        problems: dict[str, str] = {}
        for field, value in data.items():
            try:
                validation.validate_task({field: value}, partial=True)
            except ValidationError as exc:
                problems[exc.field or field] = str(exc)
        if not problems:
            try:
                normalised = validation.validate_task(data)
                validation.check_task_times(normalised["time_begin"], normalised["time_end"])
            except ValidationError as exc:
                problems[exc.field or ""] = str(exc)
        for field, message in problems.items():
            self._show_error(field, message)
        return problems

    def _show_error(self, field: str | None, message: str) -> None:
        if field and field in self.errors.labels:
            self.errors.show(field, message)
        else:
            self.general_error.setText(message)
            self.general_error.show()

    def try_save(self) -> bool:
        """Write the task if every field is valid; otherwise show the errors and write nothing."""
        if self.validate():
            return False
        data = self.values()
        try:
            if self._task is None:
                task_id = self._data.create_task(self._week_id, data)
            else:
                task_id = self._task.id
                self._data.update_task(task_id, data)
        except ValidationError as exc:
            self._show_error(exc.field, str(exc))
            return False
        except WfhError as exc:  # e.g. the disk is full: nothing was saved, say so in the dialog
            self._show_error(None, str(exc))
            return False
        self.saved.emit(task_id)
        self.accept()
        return True
