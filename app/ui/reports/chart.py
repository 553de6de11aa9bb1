"""The Reports tab's chart, drawn with QPainter in the application palette.

Days and weeks are a time line: one column each, in order, with as many labels as fit. Projects and
locales are ranked: horizontal bars, largest first, the tail summed as "Other".
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.domain.reports import ReportRow
from app.domain.timeparse import format_duration

MAX_BARS = 10
LABEL_CHARS = 24


@dataclass(frozen=True)
class Bar:
    """One drawn bar: its caption and its time."""

    label: str
    seconds: int

    @property
    def hhmmss(self) -> str:
        return format_duration(self.seconds)


def ranked_bars(rows: tuple[ReportRow, ...], max_bars: int = MAX_BARS) -> list[Bar]:
    """The biggest ``max_bars - 1`` groups and "Other (n)" for the rest, largest first."""
    ordered = sorted(rows, key=lambda r: (-r.duration_seconds, r.label.lower()))
    bars = [Bar(r.label, r.duration_seconds) for r in ordered]
    if len(bars) > max_bars:
        tail = bars[max_bars - 1:]
        bars = [*bars[: max_bars - 1], Bar(f"Other ({len(tail)})", sum(b.seconds for b in tail))]
    return bars


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReportChart(QWidget):
    """Time per group of the current report (columns over time, or ranked bars). Signals: none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.bars: list[Bar] = []
        self.timeline = False
        self.empty_text = "No tasks in this range"

    def show_report(self, rows: tuple[ReportRow, ...], by: str) -> None:
        self.timeline = by in ("day", "week")
        if by == "day":  # "11-24": the year is in the range above, the weekday in the table
            self.bars = [Bar(r.key[5:], r.duration_seconds) for r in rows]
        elif by == "week":
            self.bars = [Bar(r.label, r.duration_seconds) for r in rows]
        else:
            self.bars = ranked_bars(rows)
        tips = [f"{short(b.label, 60)}: {format_duration(b.seconds)}" for b in self.bars[:40]]
        self.setToolTip("\n".join(tips) + ("\n…" if len(self.bars) > 40 else ""))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - repaint everything, it is small
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRectF(self.rect()), self.palette())
        painter.end()

    def paint(self, painter: QPainter, area: QRectF, palette: QPalette) -> None:
        """Draw into ``area`` (also used for the PDF export)."""
        painter.fillRect(area, palette.color(QPalette.ColorRole.Base))
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        if not self.bars or max(b.seconds for b in self.bars) <= 0:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        if self.timeline:
            self._paint_columns(painter, area.adjusted(8, 8, -8, -8), palette)
        else:
            self._paint_bars(painter, area.adjusted(8, 8, -8, -8), palette)

    def _paint_bars(self, painter: QPainter, area: QRectF, palette: QPalette) -> None:
        metrics = QFontMetrics(painter.font())
        labels = [short(b.label) for b in self.bars]
        label_width = min(area.width() * 0.4, max(metrics.horizontalAdvance(t) for t in labels) + 8)
        value_width = metrics.horizontalAdvance("0000:00:00") + 8
        top = max(b.seconds for b in self.bars)
        row_height = min(area.height() / len(self.bars), metrics.height() * 2.2)
        bar_space = max(1.0, area.width() - label_width - value_width)
        text, bar = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Highlight)
        for index, (entry, label) in enumerate(zip(self.bars, labels, strict=True)):
            y = area.top() + index * row_height
            painter.setPen(text)
            painter.drawText(QRectF(area.left(), y, label_width - 8, row_height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            width = bar_space * entry.seconds / top
            painter.fillRect(QRectF(area.left() + label_width, y + row_height * 0.15, width, row_height * 0.7), bar)
            painter.drawText(QRectF(area.left() + label_width + width + 4, y, value_width, row_height),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             format_duration(entry.seconds))

    def _paint_columns(self, painter: QPainter, area: QRectF, palette: QPalette) -> None:
        metrics = QFontMetrics(painter.font())
        top = max(b.seconds for b in self.bars)
        axis_height = metrics.height() + 6
        value_height = metrics.height() + 2
        plot = area.adjusted(0, value_height, 0, -axis_height)
        count = len(self.bars)
        slot = plot.width() / count
        label_width = max(metrics.horizontalAdvance(short(b.label, 12)) for b in self.bars) + 8
        every = max(1, int(label_width / slot) + 1)  # label every n-th column so captions never overlap
        text, bar = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Highlight)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        peak_index = max(range(count), key=lambda i: self.bars[i].seconds)
        for index, entry in enumerate(self.bars):
            height = plot.height() * entry.seconds / top
            x = plot.left() + index * slot
            painter.fillRect(QRectF(x + slot * 0.15, plot.bottom() - height, max(1.0, slot * 0.7), height), bar)
            painter.setPen(text)
            if index % every == 0:
                painter.drawText(QRectF(x + slot / 2 - label_width / 2, plot.bottom() + 3, label_width, axis_height),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, short(entry.label, 12))
            if index == peak_index or (every == 1 and slot > metrics.horizontalAdvance("00:00:00") + 4):
                value = format_duration(entry.seconds)
                width = metrics.horizontalAdvance(value) + 4
                painter.drawText(QRectF(x + slot / 2 - width / 2, plot.bottom() - height - value_height, width,
                                        value_height), Qt.AlignmentFlag.AlignCenter, value)
