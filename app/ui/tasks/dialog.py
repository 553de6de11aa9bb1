"""Add or edit a task. Every field is checked with the services' own validation rules and every
problem is shown at once next to its field (the end-before-begin check included); nothing is written
until all of them are valid.

Durations are typed like in Toggl (``1:30``, ``90m``, ``1.5h``) and the parsed value is shown live
("= 1 h 30 min"). When begin and end are both set and the duration differs from the time between
them, a warning offers to use that time instead; it does not block saving (a timer run over several
sittings legitimately differs). The layout only grows: with every error shown nothing overlaps.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import validation
from app.domain.durations import describe_duration, parse_entry_duration
from app.domain.models import Task
from app.errors import ValidationError, WfhError
from app.services.data_service import DataService
from app.ui.form_errors import FieldErrors, error_label
from app.ui.pickers import OptionalDateTime
from app.ui.undo import UndoHistory

# What an undo of an edit writes back: every field the dialog can change, as stored.
UNDO_FIELDS = ("project_name", "project_id", "attempt_id", "operation_id", "duration_seconds", "time_limit_seconds",
               "score", "locale", "date_audited", "time_begin", "time_end", "bonus_paid", "feedback")

# (field, label, placeholder) of the one-line text inputs, in form order.
LINE_FIELDS = (
    ("project_name", "Project", "project name"),
    ("project_id", "Project ID", ""),
    ("attempt_id", "Attempt ID", ""),
    ("operation_id", "Operation ID", ""),
    ("duration", "Duration", "1:30, 90m, 1h30m, 1.5h or minutes"),
    ("time_limit", "Time limit", "e.g. 2h or 1:00, empty for none"),
    ("score", "Score", "0–100, empty for no score"),
    ("locale", "Locale", "e.g. en_US"),
)
DURATION_FIELDS = ("duration", "time_limit")
# (field, label, date only) of the optional date inputs.
PICKER_FIELDS = (("date_audited", "Date audited", True), ("time_begin", "Begin", False), ("time_end", "End", False))
HINT_STYLE = "color: palette(mid);"
WARNING_STYLE = "color: #c07000;"
MISMATCH_TOLERANCE_SECONDS = 60  # begin/end have minute precision


class TaskDialog(QDialog):
    """The task form: inline errors, live duration hints, date pickers and the duration/begin–end check.

    Signals:
        saved(int task_id): after the task was written.
    """

    saved = Signal(int)

    def __init__(self, data_service: DataService, week_id: int, task: Task | None = None,
                 parent: QWidget | None = None, *, history: UndoHistory | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._history = history
        self._week_id = week_id
        self._task = task
        self.setWindowTitle("Edit task" if task else "New task")
        self.setMinimumWidth(500)
        self.errors = FieldErrors()
        self.fields: dict[str, QLineEdit] = {}
        for name, _label, placeholder in LINE_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.setPlaceholderText(placeholder)
            self.fields[name] = edit
        self.hints: dict[str, QLabel] = {}
        for name in DURATION_FIELDS:
            hint = QLabel()
            hint.setObjectName(f"hint_{name}")
            hint.setStyleSheet(HINT_STYLE)
            hint.setMinimumWidth(hint.fontMetrics().horizontalAdvance("= 000 h 00 min 00 s"))
            self.hints[name] = hint
        self.pickers: dict[str, OptionalDateTime] = {}
        for name, _label, date_only in PICKER_FIELDS:
            picker = OptionalDateTime(date_only=date_only)
            picker.setObjectName(name)
            self.pickers[name] = picker
        self.mismatch_label = QLabel()
        self.mismatch_label.setObjectName("durationMismatch")
        self.mismatch_label.setStyleSheet(WARNING_STYLE)
        self.mismatch_label.setWordWrap(True)
        self.use_span_button = QPushButton()
        self.use_span_button.setObjectName("useSpanButton")
        self.mismatch_box = QWidget()
        self.mismatch_box.hide()
        self.bonus_paid = QCheckBox("Bonus paid")
        self.feedback = QPlainTextEdit()
        self.feedback.setMinimumHeight(80)
        self.general_error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self._span_seconds: int | None = None
        self._build_layout()
        if task is not None:
            self._fill(task)
        self._connect_signals()
        self._update_hints()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for name, label, _placeholder in LINE_FIELDS:
            if name in DURATION_FIELDS:
                form.addRow(label, self._with_hint(self.fields[name], self.hints[name]))
            else:
                form.addRow(label, self.fields[name])
            form.addRow("", self.errors.make_label(name, self.fields[name]))
            if name == "duration":
                form.addRow("", self._mismatch_row())
        for name, label, _date_only in PICKER_FIELDS:
            form.addRow(label, self.pickers[name])
            form.addRow("", self.errors.make_label(name, self.pickers[name].editor))
        form.addRow("", self.bonus_paid)
        form.addRow("Feedback", self.feedback)
        form.addRow("", self.errors.make_label("feedback", self.feedback))
        self._layout = layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    @staticmethod
    def _with_hint(edit: QLineEdit, hint: QLabel) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(hint)
        return box

    def _mismatch_row(self) -> QWidget:
        row = QVBoxLayout(self.mismatch_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mismatch_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_span_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        return self.mismatch_box

    def _fill(self, task: Task) -> None:
        values = {
            "project_name": task.project_name, "project_id": task.project_id, "attempt_id": task.attempt_id,
            "operation_id": task.operation_id, "duration": task.duration_display,
            "time_limit": task.time_limit_display if task.time_limit_seconds else "",
            "score": "" if task.score is None else str(task.score), "locale": task.locale,
        }
        for name, value in values.items():
            self.fields[name].setText(value or "")
        self.pickers["date_audited"].set_value(task.date_audited)
        self.pickers["time_begin"].set_value(task.time_begin)
        self.pickers["time_end"].set_value(task.time_end)
        self.bonus_paid.setChecked(bool(task.bonus_paid))
        self.feedback.setPlainText(task.feedback or "")

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        for name, edit in self.fields.items():
            edit.textEdited.connect(lambda _text, field=name: self.errors.clear(field))
            edit.editingFinished.connect(lambda field=name: self._check_field(field))
        for name in DURATION_FIELDS:
            self.fields[name].textChanged.connect(self._update_hints)
        for name, picker in self.pickers.items():
            picker.valueChanged.connect(lambda field=name: self._on_picker_changed(field))
        self.use_span_button.clicked.connect(self.use_span_as_duration)

    # ---- live feedback ---------------------------------------------------------------------
    @Slot()
    def _update_hints(self) -> None:
        for name in DURATION_FIELDS:
            text = self.fields[name].text().strip()
            try:
                seconds = parse_entry_duration(text)
            except ValueError:
                self.hints[name].setText("= ?")
                self.hints[name].setToolTip("not a duration yet: try 1:30, 90m, 1h30m or 1.5h")
                continue
            self.hints[name].setText(f"= {describe_duration(seconds)}" if text else "")
            self.hints[name].setToolTip("")
        self._update_mismatch()

    def _on_picker_changed(self, field: str) -> None:
        self.errors.clear(field)
        if field in ("time_begin", "time_end"):
            self.errors.clear("time_end")
            self._update_mismatch()

    def _update_mismatch(self) -> None:
        """Warn when begin/end and the duration disagree by more than a minute, offering the begin/end time."""
        self._span_seconds = None
        try:
            span = validation.span_seconds(self.pickers["time_begin"].value(), self.pickers["time_end"].value())
            duration = parse_entry_duration(self.fields["duration"].text())
        except ValueError:
            span = None
        if span is None or span < 0 or abs(span - duration) <= MISMATCH_TOLERANCE_SECONDS:
            self.mismatch_box.hide()
            return
        self._span_seconds = span
        self.mismatch_label.setText(f"The duration ({describe_duration(duration)}) differs from the time between "
                                    f"begin and end ({describe_duration(span)}).")
        self.use_span_button.setText(f"Use {describe_duration(span)} from begin/end")
        if self.mismatch_box.isHidden():
            self.mismatch_box.show()
            self.fit_contents()

    @Slot()
    def use_span_as_duration(self) -> None:
        """The offered fix: the duration becomes the time between begin and end."""
        if self._span_seconds is None:
            return
        hours, rest = divmod(self._span_seconds, 3600)
        self.fields["duration"].setText(f"{hours}:{rest // 60:02d}:{rest % 60:02d}")
        self.errors.clear("duration")

    # ---- checks ----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The form as ``validate_task`` input; empty optional text becomes None."""
        data: dict[str, Any] = {name: edit.text().strip() or None for name, edit in self.fields.items()}
        data["duration"] = data["duration"] or 0
        data["time_limit"] = data["time_limit"] or 0
        for name, picker in self.pickers.items():
            data[name] = picker.value()
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
        if "time_begin" not in problems and "time_end" not in problems:
            try:
                validation.check_task_times(data["time_begin"], data["time_end"])
            except ValidationError as exc:
                problems[exc.field or "time_end"] = str(exc)
        for field, message in problems.items():
            self._show_error(field, message)
        self.fit_contents()
        return problems

    def fit_contents(self) -> None:
        """Grow (never shrink) to the height the wrapped error lines need at the current width.

        A form's minimum size ignores word-wrapped labels (height-for-width), so without this the
        buttons are laid over the last fields once several errors show.
        """
        layout = self._layout
        layout.activate()
        width = self.width()
        needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        needed = max(needed, layout.totalMinimumSize().height())
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(width, needed)

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
                self._remember_for_undo(self._task)
        except ValidationError as exc:
            self._show_error(exc.field, str(exc))
            return False
        except WfhError as exc:  # e.g. the disk is full: nothing was saved, say so in the dialog
            self._show_error(None, str(exc))
            return False
        self.saved.emit(task_id)
        self.accept()
        return True

    def _remember_for_undo(self, old: Task) -> None:
        if self._history is None:
            return
        data, values = self._data, {field: getattr(old, field) for field in UNDO_FIELDS}
        self._history.push(f"Edit task “{old.display_name}”", lambda: data.update_task(old.id, values, "undo"))
