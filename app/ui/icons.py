"""App and tray icons: the shipped PNGs (``app.resources``) and a clock face drawn in code whose
ring colour shows the state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from app.paths import package_data_dir

STATE_COLOURS = {
    "idle": QColor(70, 130, 200),
    "running": QColor(40, 170, 90),
    "warning": QColor(220, 140, 30),
    "error": QColor(210, 60, 60),
    "offline": QColor(130, 130, 130),
}


def clock_icon(colour: QColor, running: bool = False) -> QIcon:
    icon = QIcon()
    for size in (16, 22, 32, 48, 64, 128):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ring = max(1.5, size / 10)
        rect = QRectF(ring / 2 + 0.5, ring / 2 + 0.5, size - ring - 1, size - ring - 1)
        painter.setPen(QPen(colour, ring))
        painter.setBrush(QColor(255, 255, 255))
        painter.drawEllipse(rect)
        centre = rect.center()
        hands = QPen(QColor(40, 40, 40), max(1.2, size / 16))
        hands.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(hands)
        painter.drawLine(centre, QPointF(centre.x(), rect.top() + rect.height() * 0.22))
        painter.drawLine(centre, QPointF(rect.right() - rect.width() * 0.25, centre.y()))
        if running:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            dot = size * 0.32
            painter.drawEllipse(QRectF(size - dot, size - dot, dot, dot))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def state_icon(state: str) -> QIcon:
    return clock_icon(STATE_COLOURS.get(state, STATE_COLOURS["idle"]), running=state == "running")


def icons_dir(kind: str) -> Path:
    """``app`` or ``sync``: the folder of shipped PNG icons of that kind."""
    return package_data_dir("resources") / "icons" / kind


def app_icon_path() -> Path:
    return icons_dir("app") / "wfh-agent-256.png"
