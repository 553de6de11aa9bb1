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


BADGE_SIZES = (16, 22, 32, 48, 64)


def _badge(painter: QPainter, size: int, corner: str, glyph: str) -> None:
    """A dark disc with a white outline and a white glyph: readable on any tray colour and at 16 px,
    and told apart by shape (▶ triangle, ❚❚ bars), not by colour."""
    diameter = max(10.0, size * 0.6)
    x = size - diameter if corner == "right" else 0.0
    disc = QRectF(x + 0.5, size - diameter + 0.5, diameter - 1, diameter - 1)
    # The white ring sets the badge off at large sizes; at 16/22 px it would blur into the glyph.
    painter.setPen(QPen(QColor(255, 255, 255), size / 28) if size >= 32 else Qt.PenStyle.NoPen)
    painter.setBrush(QColor(25, 25, 25))
    painter.drawEllipse(disc)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255))
    c, r = disc.center(), disc.width() * 0.3
    if glyph == "play":
        painter.drawPolygon([QPointF(c.x() - r * 0.75, c.y() - r), QPointF(c.x() - r * 0.75, c.y() + r),
                             QPointF(c.x() + r * 1.05, c.y())])
    else:
        bar = r * 0.72
        painter.drawRect(QRectF(c.x() - r * 1.05, c.y() - r, bar, 2 * r))
        painter.drawRect(QRectF(c.x() + r * 1.05 - bar, c.y() - r, bar, 2 * r))


def badged_icon(base: QIcon, *, timer_running: bool = False, monitoring_paused: bool = False) -> QIcon:
    """``base`` with a ▶ badge (timer running, bottom right) and/or ❚❚ badge (monitoring paused, bottom left)."""
    if not timer_running and not monitoring_paused:
        return base
    icon = QIcon()
    for size in BADGE_SIZES:
        pixmap = base.pixmap(size, size)
        if pixmap.isNull() or pixmap.width() != size:
            canvas = QPixmap(size, size)
            canvas.fill(Qt.GlobalColor.transparent)
            if not pixmap.isNull():
                p = QPainter(canvas)
                p.drawPixmap(QRectF(0, 0, size, size), pixmap, QRectF(pixmap.rect()))
                p.end()
            pixmap = canvas
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if timer_running:
            _badge(painter, size, "right", "play")
        if monitoring_paused:
            _badge(painter, size, "left", "pause")
        painter.end()
        icon.addPixmap(pixmap)
    return icon
