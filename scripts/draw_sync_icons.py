"""Draw the tray's sync-state icons into resources/icons/sync/ (PNG, 16/22/32/64 px).

Each state has its own glyph as well as its own colour, so the states stay apart at 16 px and for
colour-blind users: synced ✓, syncing ⟳, pending ↑, offline ⊘, unreachable …, auth_error lock,
error !. Run: ``python scripts/draw_sync_icons.py`` (offscreen Qt is enough).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPainterPath, QPen, QPixmap  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons" / "sync"
SIZES = (16, 22, 32, 64)
COLOURS = {
    "synced": QColor(34, 139, 34), "syncing": QColor(30, 110, 200), "pending": QColor(90, 100, 120),
    "offline": QColor(120, 120, 120), "unreachable": QColor(215, 120, 0), "auth_error": QColor(190, 30, 45),
    "error": QColor(190, 30, 45),
}


def _glyph(p: QPainter, state: str, s: float) -> None:
    white = QPen(QColor("white"), max(1.6, s * 0.13))
    white.setCapStyle(Qt.PenCapStyle.RoundCap)
    white.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(white)
    p.setBrush(Qt.BrushStyle.NoBrush)
    c = s / 2
    if state == "synced":
        p.drawPolyline([QPointF(s * 0.28, s * 0.52), QPointF(s * 0.44, s * 0.68), QPointF(s * 0.73, s * 0.34)])
    elif state == "syncing":
        r = QRectF(s * 0.27, s * 0.27, s * 0.46, s * 0.46)
        p.drawArc(r, 60 * 16, 110 * 16)  # two arcs with wide gaps, so 16 px still reads as arrows, not a ring
        p.drawArc(r, 240 * 16, 110 * 16)
        p.setBrush(QColor("white"))
        p.setPen(Qt.PenStyle.NoPen)
        for tip, a, b in ((QPointF(s * 0.27, s * 0.62), QPointF(s * 0.12, s * 0.44), QPointF(s * 0.40, s * 0.44)),
                          (QPointF(s * 0.73, s * 0.38), QPointF(s * 0.60, s * 0.56), QPointF(s * 0.88, s * 0.56))):
            path = QPainterPath(tip)
            path.lineTo(a)
            path.lineTo(b)
            path.closeSubpath()
            p.drawPath(path)
    elif state == "pending":
        p.drawLine(QPointF(c, s * 0.74), QPointF(c, s * 0.28))
        p.drawPolyline([QPointF(s * 0.32, s * 0.44), QPointF(c, s * 0.27), QPointF(s * 0.68, s * 0.44)])
    elif state == "offline":
        p.drawEllipse(QRectF(s * 0.28, s * 0.28, s * 0.44, s * 0.44))
        p.drawLine(QPointF(s * 0.33, s * 0.67), QPointF(s * 0.67, s * 0.33))
    elif state == "unreachable":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("white"))
        d = max(2.4, s * 0.15)
        for x in (0.27, 0.5, 0.73):
            p.drawEllipse(QPointF(s * x, c), d / 2, d / 2)
    elif state == "auth_error":
        p.drawArc(QRectF(s * 0.36, s * 0.22, s * 0.28, s * 0.34), 0, 180 * 16)
        p.drawLine(QPointF(s * 0.36, s * 0.39), QPointF(s * 0.36, s * 0.46))
        p.drawLine(QPointF(s * 0.64, s * 0.39), QPointF(s * 0.64, s * 0.46))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("white"))
        p.drawRoundedRect(QRectF(s * 0.28, s * 0.45, s * 0.44, s * 0.32), s * 0.05, s * 0.05)
    elif state == "error":
        p.drawLine(QPointF(c, s * 0.24), QPointF(c, s * 0.56))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("white"))
        d = max(2.2, s * 0.14)
        p.drawEllipse(QPointF(c, s * 0.74), d / 2, d / 2)


def draw(state: str, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(COLOURS[state])
    if state in ("auth_error", "error", "unreachable"):  # warning states: a different outline, not only a colour
        path = QPainterPath()
        path.addRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size * 0.18, size * 0.18)
        p.drawPath(path)
    else:
        p.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
    _glyph(p, state, float(size))
    p.end()
    return pixmap


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    for state in COLOURS:
        for size in SIZES:
            if not draw(state, size).save(str(OUT / f"{state}-{size}.png"), "PNG"):
                print(f"could not write {state}-{size}.png", file=sys.stderr)
                return 1
    print(f"wrote {len(COLOURS) * len(SIZES)} icons to {OUT}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
