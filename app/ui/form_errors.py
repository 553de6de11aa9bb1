"""Inline error labels under form fields, fed by ``ValidationError.field`` from the services."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

ERROR_STYLE = "color: #e05050;"


def strip_field_prefix(message: str, field: str | None) -> str:
    """``"score: must be between 0 and 100"`` → ``"must be between 0 and 100"`` (the label names it)."""
    if field and message.startswith(f"{field}: "):
        return message[len(field) + 2:]
    return message


def error_label() -> QLabel:
    """A hidden, red, word-wrapping label for a form's messages."""
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class FieldErrors:
    """One hidden red label per field; ``show`` marks the field (the first one since ``clear`` gets the
    keyboard focus, so the user types where the problem is), ``clear`` hides everything."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        self.inputs: dict[str, QWidget] = {}

    def make_label(self, field: str, widget: QWidget) -> QLabel:
        label = error_label()
        label.setObjectName(f"error_{field}")
        self.labels[field] = label
        self.inputs[field] = widget
        return label

    def show(self, field: str, message: str) -> None:
        first = not self.visible_errors()
        label = self.labels[field]
        label.setText(strip_field_prefix(message, field))
        label.show()
        widget = self.inputs[field]
        widget.setProperty("invalid", True)
        widget.setStyleSheet("border: 1px solid #e05050;")
        if first:
            widget.setFocus()

    def clear(self, field: str | None = None) -> None:
        for name in [field] if field else list(self.labels):
            if name is None or name not in self.labels:
                continue
            self.labels[name].hide()
            self.labels[name].clear()
            self.inputs[name].setProperty("invalid", False)
            self.inputs[name].setStyleSheet("")

    def visible_errors(self) -> dict[str, str]:
        return {name: label.text() for name, label in self.labels.items() if not label.isHidden()}
