"""Tray badges: ▶ timer running and ❚❚ monitoring paused, readable at 16 px and told apart by shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor, QImage

from app.ui.icons import badged_icon, state_icon
from app.ui.sync.status import sync_icon
from app.ui.tray import TrayIcon


def white_mask(image: QImage, left: bool) -> set[tuple[int, int]]:
    """Near-white pixels inside the badge quadrant (the glyph and the disc's outline)."""
    size = image.width()
    xs = range(0, size // 2 + 2) if left else range(size // 2 - 2, size)
    return {(x, y) for x in xs for y in range(size // 2 - 2, size)
            if QColor(image.pixel(x, y)).lightness() > 200 and QColor(image.pixelColor(x, y)).alpha() > 200}


def dark_count(image: QImage, left: bool) -> int:
    size = image.width()
    xs = range(0, size // 2) if left else range(size // 2, size)
    return sum(1 for x in xs for y in range(size // 2, size) if QColor(image.pixel(x, y)).lightness() < 60)


def test_badges_at_16_px_are_visible_and_differ_by_shape(qtbot: Any, tmp_path: Path) -> None:
    base = sync_icon("synced")
    plain = base.pixmap(16, 16).toImage()
    running = badged_icon(base, timer_running=True).pixmap(16, 16).toImage()
    paused = badged_icon(base, monitoring_paused=True).pixmap(16, 16).toImage()
    both = badged_icon(base, timer_running=True, monitoring_paused=True).pixmap(16, 16).toImage()
    assert running.width() == 16 and running != plain and paused != plain
    assert dark_count(running, left=False) >= 20 and dark_count(paused, left=True) >= 20   # a solid badge
    play = {(x - 16 // 2, y) for x, y in white_mask(running, left=False)}
    bars = white_mask(paused, left=True)
    assert play and bars and play != bars          # the glyphs are different shapes, not recoloured ones
    assert dark_count(both, left=False) >= 20 and dark_count(both, left=True) >= 20
    # Also readable on the clock icon and larger sizes; kept for a look (16 px enlarged 8×).
    for name, image in (("running", running), ("paused", paused), ("both", both)):
        image.scaled(128, 128).save(str(tmp_path / f"tray16_{name}.png"))
    assert not badged_icon(state_icon("idle"), timer_running=True).pixmap(32, 32).isNull()


def test_tray_shows_timer_and_pause_in_icon_and_tooltip(qtbot: Any) -> None:
    tray = TrayIcon()
    tray.set_state("sync:synced", "WFH Agent — Synced", icon=sync_icon("synced"))
    plain = tray.icon.icon().pixmap(16, 16).toImage()
    tray.show_timer_running(True)
    assert "▶ Timer running" in tray.icon.toolTip()
    assert tray.icon.icon().pixmap(16, 16).toImage() != plain
    tray.show_monitor_state("paused", "until 2026-11-26T18:40:00.000Z")
    assert "❚❚ Monitoring: paused until " in tray.icon.toolTip()
    tray.set_state("sync:offline", "WFH Agent — Offline", icon=sync_icon("offline"))   # badges stay on a new icon
    assert "❚❚ Monitoring: paused" in tray.icon.toolTip() and "Offline" in tray.icon.toolTip()
    assert tray.icon.icon().pixmap(16, 16).toImage() != sync_icon("offline").pixmap(16, 16).toImage()
    tray.show_monitor_state("running", "")
    tray.show_timer_running(False)
    assert tray.icon.toolTip() == "WFH Agent — Offline"
    assert tray.icon.icon().pixmap(16, 16).toImage() == sync_icon("offline").pixmap(16, 16).toImage()
