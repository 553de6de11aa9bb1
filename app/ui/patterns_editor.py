"""The Privacy page's exclusion lists in human words ("apps: keepassxc, 1password …"), with the regular
expressions one click away ("Edit as patterns (advanced)") for anyone who needs more than a list of names."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

_LITERAL = re.compile(r"(?:[\w \-]|\\[.\-\s])+")
_EXE_SUFFIX = r"(\.exe)?"


def _strip_group(text: str) -> str:
    """``(a|b)`` → ``a|b`` when the parentheses wrap the whole pattern."""
    if text.startswith("(") and text.endswith(")") and not text.startswith("(?"):
        depth = 0
        for index, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(text) - 1:
                return text  # "(a)|(b)": the first group closes early
        return text[1:-1]
    return text


def pattern_words(pattern: str) -> tuple[list[str], bool] | None:
    """The plain names a pattern matches and whether they must match whole (``^…$``), or None when it is
    more than an alternation of names (then only the advanced view can say what it does)."""
    text = pattern.strip()
    if text.startswith("(?i)"):
        text = text[4:]
    exact = text.startswith("^") and text.endswith("$")
    text = text.removeprefix("^").removesuffix("$").replace(_EXE_SUFFIX, "")
    text = _strip_group(text)
    parts = text.split("|")
    if not parts or not all(part and _LITERAL.fullmatch(part) for part in parts):
        return None
    return [re.sub(r"\\(.)", r"\1", part).strip() for part in parts], exact


def describe(patterns: list[str], noun: str) -> str:
    """One line per pattern in words, e.g. ``apps: keepassxc, keepass`` or ``titles containing: incognito``."""
    if not patterns:
        return f"No {noun} are excluded."
    lines = []
    for pattern in patterns:
        words = pattern_words(pattern)
        if words is None:
            lines.append(f"{noun} matching the pattern {pattern}")
            continue
        names, exact = words
        lines.append(f"{noun}{'' if exact else ' containing'}: {', '.join(names)}")
    return "\n".join(lines)


class PatternsEditor(QWidget):
    """A summary in words over a hidden one-pattern-per-line editor. Signals: none."""

    def __init__(self, patterns: list[str], noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.noun = noun
        self.summary = QLabel()
        self.summary.setObjectName("patternSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # names come from config.json: never markup
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit("\n".join(patterns))
        self.text.setFixedHeight(64)
        self.text.hide()
        self.advanced = QToolButton()
        self.advanced.setText("Edit as patterns (advanced)")
        self.advanced.setCheckable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.advanced, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text)
        self.advanced.toggled.connect(self.text.setVisible)
        self.text.textChanged.connect(self._update_summary)
        self._update_summary()

    def patterns(self) -> list[str]:
        return [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]

    @Slot()
    def _update_summary(self) -> None:
        self.summary.setText(describe(self.patterns(), self.noun))
