"""The Activity view's "in progress" part: the open span and the spans still held back, read from the journal.

Spans become final only after the idle threshold plus one interval (so idle time can be back-dated);
without this a new user saw an empty Activity tab for three minutes. The panel lists them, marked as in
progress, with one line that explains the hold, and the timeline draws them hatched. It also carries the
plain statement when this desktop does not let window titles be read. Titles are shown as plain text
(they come from other programs).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.monitor.categorize import DEFAULT_RULES, categorize
from app.monitor.journal import read_held
from app.monitor.session import statement
from app.monitor.spans import Span
from app.monitor.store import MonitorStore
from app.ui.activity.idle_prompt import away_duration

if TYPE_CHECKING:
    from app.profile import Profile

MAX_LINES = 6


def read_in_progress(profile: Profile) -> list[Span]:
    """The held and open spans (categorised like final ones will be), oldest first."""
    spans = read_held(MonitorStore(profile.db)).spans()
    rules = profile.settings.get("monitoring.rules") or DEFAULT_RULES
    for span in spans:
        if span.status == "active":
            span.category, span.category_name = categorize(rules, span.process_name, span.window_title, span.domain)
    return spans


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%H:%M:%S")


def _length(seconds: float) -> str:
    total = int(seconds)
    return f"{total} s" if total < 60 else f"{total // 60} min {total % 60:02d} s"


def describe(span: Span) -> str:
    if span.status != "active":
        what = {"idle": "Idle", "locked": "Locked", "offline": "Offline"}.get(span.status, span.status)
    else:
        what = " — ".join(part for part in (span.process_name, span.window_title) if part) or "(no window title)"
    passive = ", passive: no input, media or an idle inhibitor" if span.passive else ""
    return f"{_clock(span.start_ms)}–{_clock(span.end_ms)}  {what}  ({_length(span.duration_ms / 1000)}{passive})"


class InProgressPanel(QWidget):
    """``show_spans(spans, hold)``; ``notice`` says when titles cannot be read on this desktop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice = QLabel("")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("QLabel { border: 1px solid palette(mid); padding: 4px; }")
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.lines = QLabel("")
        self.lines.setTextFormat(Qt.TextFormat.PlainText)   # window titles are attacker-controlled
        self.lines.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice)
        layout.addWidget(self.heading)
        layout.addWidget(self.lines)
        self.set_notice(statement())

    def set_notice(self, text: str | None) -> None:
        self.notice.setText(f"⚠ {text}" if text else "")
        self.notice.setVisible(bool(text))

    def show_spans(self, spans: list[Span], hold: float) -> None:
        if not spans:
            self.heading.setText("")
            self.lines.setText("")
            self.heading.hide()
            self.lines.hide()
            return
        self.heading.setText(
            f"In progress (not final yet): activity is kept back for {away_duration(hold)} so that idle time "
            "can be back-dated; then it is saved for good and can sync.")
        shown = spans[-MAX_LINES:]
        lines = [f"in progress · {describe(span)}" for span in shown]
        if len(spans) > len(shown):
            lines.insert(0, f"… and {len(spans) - len(shown)} earlier")
        self.lines.setText("\n".join(lines))
        self.heading.show()
        self.lines.show()
