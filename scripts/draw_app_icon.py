"""Draw the application icon (PNG 16–256 px, plus .ico for Windows) into resources/icons/app/.

Run once after changing the design: ``python scripts/draw_app_icon.py``; the PNGs are committed.
The design matches the tray's clock (app/ui/icons.py) on a rounded blue tile, so the app and
the tray are recognisably the same program.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen  # noqa: E402

SIZES = (16, 24, 32, 48, 64, 128, 256)
OUT = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app"
TILE = QColor(45, 105, 180)
ACCENT = QColor(40, 170, 90)


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = size * 0.04
    tile = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(TILE)
    painter.drawRoundedRect(tile, size * 0.2, size * 0.2)

    face = tile.adjusted(size * 0.16, size * 0.16, -size * 0.16, -size * 0.16)
    painter.setBrush(QColor(255, 255, 255))
    painter.setPen(QPen(ACCENT, max(1.0, size * 0.06)))
    painter.drawEllipse(face)
    centre = face.center()
    hands = QPen(QColor(35, 35, 35), max(1.0, size * 0.055))
    hands.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(hands)
    painter.drawLine(centre, QPointF(centre.x(), face.top() + face.height() * 0.2))
    painter.drawLine(centre, QPointF(face.right() - face.width() * 0.24, centre.y()))
    if size >= 32:  # hour ticks only where they are visible
        ticks = QPen(QColor(120, 120, 120), max(1.0, size * 0.02))
        painter.setPen(ticks)
        r_out, r_in = face.width() / 2 * 0.9, face.width() / 2 * 0.78
        for dx, dy in ((0, -1), (1, 0), (0, 1), (-1, 0)):
            painter.drawLine(QPointF(centre.x() + dx * r_in, centre.y() + dy * r_in),
                             QPointF(centre.x() + dx * r_out, centre.y() + dy * r_out))
    painter.end()
    return image


def main() -> int:
    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = OUT / f"wfh-agent-{size}.png"
        if not draw(size).save(str(path), "PNG"):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path)
    try:  # Windows .ico for PyInstaller/Inno Setup, assembled by Pillow from the drawn sizes
        from PIL import Image

        big = Image.open(OUT / "wfh-agent-256.png")
        big.save(OUT / "wfh-agent.ico", sizes=[(s, s) for s in SIZES])
        print(OUT / "wfh-agent.ico")
    except ImportError:  # pragma: no cover - Pillow is a dependency of the app
        print("Pillow missing: no .ico written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
