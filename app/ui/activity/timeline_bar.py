"""A one-day strip: each timeline entry drawn at its time of day, coloured by category; entries still in
progress (held in the journal, not final) are hatched, so they read as such without relying on colour."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app.monitor.aggregates import TimelineEntry
from app.monitor.timeutil import ms_to_iso

COLORS = {
    "productive": QColor("#2e7d32"),
    "unproductive": QColor("#c62828"),
    "neutral": QColor("#607d8b"),
    "idle": QColor("#cfd8dc"),
}


def entry_category(entry: TimelineEntry, categories: dict[tuple[str, str], str]) -> str:
    if entry.kind == "idle":
        return "idle"
    return categories.get((entry.kind, entry.label), "neutral")


AXIS_HEIGHT = 16  # room under the strip for the hour labels
LABEL_STEPS = (1, 2, 3, 6, 12)  # hours between labels: every hour when wide enough, else the first that fits


def hour_step(width: float, label_width: float) -> int:
    """Hours between two labels so that neighbouring labels never touch."""
    for step in LABEL_STEPS:
        if width * step / 24 >= label_width + 6:
            return step
    return 24


class TimelineBar(QWidget):
    """``set_day(start_ms, end_ms, entries, categories)`` then it paints; tooltips name each entry; hours are
    labelled under the strip (0 … 24). Signals: none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(36 + AXIS_HEIGHT)
        self.setMouseTracking(True)
        self._start, self._end = 0, 1
        self._entries: list[tuple[TimelineEntry, str]] = []
        self._in_progress: list[tuple[TimelineEntry, str]] = []

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, 40 + AXIS_HEIGHT)

    def set_day(self, start_ms: int, end_ms: int, entries: list[TimelineEntry],
                categories: dict[tuple[str, str], str]) -> None:
        self._start, self._end = start_ms, max(end_ms, start_ms + 1)
        self._entries = [(e, entry_category(e, categories)) for e in entries]
        self.update()

    def set_in_progress(self, entries: list[TimelineEntry], categories: dict[tuple[str, str], str]) -> None:
        self._in_progress = [(e, entry_category(e, categories)) for e in entries]
        self.update()

    def segments(self, in_progress: bool = False) -> list[tuple[QRectF, str, TimelineEntry]]:
        """Rectangles in widget coordinates (also used by tests and tooltips)."""
        width = float(self.width())
        scale = width / (self._end - self._start)
        out = []
        for entry, category in self._in_progress if in_progress else self._entries:
            x0 = (max(entry.start_ms, self._start) - self._start) * scale
            x1 = (min(entry.end_ms, self._end) - self._start) * scale
            if x1 > x0:
                out.append((QRectF(x0, 4, max(1.0, x1 - x0), self._strip_height() - 8), category, entry))
        return out

    def _strip_height(self) -> int:
        return max(8, self.height() - AXIS_HEIGHT)

    def hour_labels(self) -> list[tuple[int, float]]:
        """(hour, x) of every labelled hour: 0, 3, 6 … 24, or every hour when the strip is wide enough."""
        label_width = self.fontMetrics().horizontalAdvance("24")
        step = hour_step(self.width(), label_width)
        return [(hour, self.width() * hour / 24) for hour in range(0, 25, step)]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        for rect, category, _ in self.segments():
            painter.fillRect(rect, COLORS.get(category, COLORS["neutral"]))
        for rect, category, _ in self.segments(in_progress=True):
            painter.fillRect(rect, COLORS.get(category, COLORS["neutral"]).lighter(150))
            painter.fillRect(rect, QBrush(self.palette().text().color(), Qt.BrushStyle.BDiagPattern))
        strip = self._strip_height()
        painter.setPen(self.palette().mid().color())
        for hour in range(1, 24):
            x = int(self.width() * hour / 24)
            painter.drawLine(x, strip - 4, x, strip + 2)
        painter.setPen(self.palette().text().color())
        metrics = self.fontMetrics()
        for hour, centre in self.hour_labels():
            text = str(hour)
            width = metrics.horizontalAdvance(text)
            left = min(max(0.0, centre - width / 2), self.width() - width)  # 0 and 24 stay inside the widget
            painter.drawText(QRectF(left, strip + 1, width + 1, AXIS_HEIGHT - 1),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        painter.end()

    def event(self, event: object) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QHelpEvent
        from PySide6.QtWidgets import QToolTip

        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            marked = [(*seg, " — in progress") for seg in self.segments(in_progress=True)]
            for rect, category, entry, note in [*marked, *((*seg, "") for seg in self.segments())]:
                if rect.left() <= event.pos().x() <= rect.right():
                    QToolTip.showText(event.globalPos(), f"{entry.label} ({category}){note}\n"
                                      f"{ms_to_iso(entry.start_ms)[11:19]}–{ms_to_iso(entry.end_ms)[11:19]} UTC",
                                      self)
                    return True
            QToolTip.hideText()
            return True
        return super().event(event)  # type: ignore[arg-type]


__all__ = ["AXIS_HEIGHT", "COLORS", "TimelineBar", "entry_category", "hour_step"]
