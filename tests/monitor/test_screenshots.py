"""Screenshots: policy (format, jitter, retention), real capture on Xvfb, files 0600, delete, disk full."""

from __future__ import annotations

import errno
import hashlib
import random
import stat
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from app.monitor import screenshots
from app.monitor.screenshots import (
    ScreenshotTaker,
    choose_format,
    delete_screenshots,
    encode,
    next_delay,
    select_for_retention,
)
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms


def test_next_delay_stays_within_jitter() -> None:
    rng = random.Random(5)
    values = [next_delay(600, 0.2, rng) for _ in range(500)]
    assert min(values) >= 480 and max(values) <= 720
    assert len({round(v) for v in values}) > 50          # actually random
    assert next_delay(0.5, 0) == 1.0


def test_auto_format_uses_png_for_text_heavy_screens_and_webp_for_photos() -> None:
    text = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(text).text((10, 10), "def main():\n    return 0\n" * 20, fill="black")
    assert choose_format("auto", text) == "png"
    noise = Image.frombytes("RGB", (800, 600), random.Random(1).randbytes(800 * 600 * 3))
    assert choose_format("auto", noise) == "webp"
    assert choose_format("jpeg", noise) == "jpeg"


def test_encode_downscale_and_blur() -> None:
    image = Image.effect_noise((400, 200), 60).convert("RGB")
    out = encode(image, fmt="jpeg", quality=50, blur=4, downscale=0.5)
    assert (out.width, out.height, out.format, out.blurred) == (200, 100, "jpeg", True)
    assert Image.open(__import__("io").BytesIO(out.data)).size == (200, 100)


def row(client_id: str, captured: str, size: int) -> dict[str, Any]:
    return {"client_id": client_id, "captured_at": captured, "size_bytes": size}


def test_retention_by_age_then_by_disk_cap_oldest_first() -> None:
    now = iso_to_ms("2026-11-26T12:00:00Z")
    rows = [row("old", "2026-10-01T00:00:00Z", 10), row("a", "2026-11-25T00:00:00Z", 400),
            row("b", "2026-11-26T00:00:00Z", 400), row("c", "2026-11-26T11:00:00Z", 400)]
    assert select_for_retention(rows, now, 30, 10_000) == ["old"]
    assert select_for_retention(rows, now, 30, 800) == ["old", "a"]
    assert select_for_retention(rows, now, 0, 0) == []


def test_retention_leaves_unsent_screenshots_to_the_sync_queue_caps() -> None:
    now = iso_to_ms("2026-11-26T12:00:00Z")
    rows = [dict(row("old-unsent", "2026-10-01T00:00:00Z", 10), synced_at=None),
            dict(row("old-sent", "2026-10-02T00:00:00Z", 10), synced_at="2026-10-02T00:01:00Z"),
            dict(row("a-unsent", "2026-11-25T00:00:00Z", 400), synced_at=None),
            dict(row("b-sent", "2026-11-26T00:00:00Z", 400), synced_at="2026-11-26T00:01:00Z"),
            dict(row("c-unsent", "2026-11-26T11:00:00Z", 400), synced_at=None)]
    assert select_for_retention(rows, now, 30, 10_000, keep_unsent=True) == ["old-sent"]
    assert select_for_retention(rows, now, 30, 500, keep_unsent=True) == ["old-sent", "b-sent"]
    assert select_for_retention(rows, now, 30, 500, keep_unsent=False) == ["old-unsent", "old-sent", "a-unsent",
                                                                          "b-sent"]


def test_uploads_configured_decides_who_may_drop_unsent_data(profile: Any) -> None:
    from app.monitor.runner import uploads_configured

    settings = profile.settings
    settings.set("ingestion.api.base_url", "https://ingest.example.com")
    assert uploads_configured(settings)
    settings.set("ingestion.api.base_url", "")
    assert not uploads_configured(settings)
    settings.set("ingestion.mode", "postgres")
    assert uploads_configured(settings)
    settings.set("ingestion.mode", "api")
    settings.set("ingestion.enabled", False)
    settings.set("ingestion.api.base_url", "https://x")
    assert not uploads_configured(settings)


@pytest.mark.xvfb
def test_capture_on_xvfb_writes_private_file_and_outbox_row(xvfb: str, profile: Any) -> None:
    store = MonitorStore(profile.db)
    taker = ScreenshotTaker(profile.paths.data_dir, store, display=xvfb)
    try:
        profile.settings.set("monitoring.screenshot_format", "png")
        first = taker.take(iso_to_ms("2026-11-26T09:00:00Z"), profile.settings)
        for key, value in (("format", "webp"), ("downscale", 0.5), ("blur", 3)):
            profile.settings.set(f"monitoring.screenshot_{key}", value)
        second = taker.take(iso_to_ms("2026-11-26T09:10:00Z"), profile.settings)
    finally:
        taker.close()
    assert first is not None and second is not None
    path = profile.paths.data_dir / first["file_path"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hashlib.sha256(path.read_bytes()).hexdigest() == first["sha256"]
    assert (first["width"], first["height"], first["format"]) == (1920, 1080, "png")
    with Image.open(path) as img:
        assert img.size == (1920, 1080)
    assert (second["width"], second["height"], second["format"], second["blurred"]) == (960, 540, "webp", 1)
    db_rows = store.conn.execute("SELECT client_id, size_bytes, synced_at FROM screenshots").fetchall()
    assert {r["client_id"] for r in db_rows} == {first["client_id"], second["client_id"]}
    assert all(r["synced_at"] is None for r in db_rows)

    assert delete_screenshots(profile.paths.data_dir, store, [first["client_id"]]) == 1
    assert not path.exists()
    assert store.conn.execute("SELECT COUNT(*) FROM screenshots").fetchone()[0] == 1


def test_retention_deletes_files_and_rows(profile: Any) -> None:
    store = MonitorStore(profile.db)
    taker = ScreenshotTaker(profile.paths.data_dir, store)
    image = encode(Image.new("RGB", (64, 64), "white"), fmt="png")
    old = taker.save(iso_to_ms("2026-09-01T00:00:00Z"), image)
    new = taker.save(iso_to_ms("2026-11-26T00:00:00Z"), image)
    assert old and new
    assert taker.apply_retention(iso_to_ms("2026-11-26T12:00:00Z"), 30, 1024) == 1
    assert not (profile.paths.data_dir / old["file_path"]).exists()
    assert (profile.paths.data_dir / new["file_path"]).exists()


def test_disk_full_while_writing_a_screenshot_is_skipped_and_counted(
        profile: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MonitorStore(profile.db)
    taker = ScreenshotTaker(profile.paths.data_dir, store)
    real_fdopen = screenshots.os.fdopen

    class FullFile:
        def __init__(self, fd: int) -> None:
            self.handle = real_fdopen(fd, "wb")

        def __enter__(self) -> FullFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(screenshots.os, "fdopen", lambda fd, mode: FullFile(fd))
    image = encode(Image.new("RGB", (64, 64), "white"), fmt="png")
    assert taker.save(iso_to_ms("2026-11-26T09:00:00Z"), image) is None
    assert store.counter("disk_full_screenshots") == 1
    assert store.conn.execute("SELECT COUNT(*) FROM screenshots").fetchone()[0] == 0
    leftovers = [p for p in Path(profile.paths.data_dir, "screenshots").rglob("*") if p.is_file()]
    assert leftovers == []
