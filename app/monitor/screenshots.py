"""Screenshots: capture (mss), optional downscale and blur, encode (Pillow), store 0600 + outbox row.

Pure parts (format choice, jittered schedule, retention selection) are separate functions with
tests; ``ScreenshotTaker`` is the shell. It is created and used on the monitor's worker thread
(mss handles are not thread-safe), so capture and encoding never touch the GUI thread. A full
disk skips the capture, counts ``disk_full_screenshots`` and leaves no partial file behind.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from app.config import Settings
from app.monitor.store import MonitorStore, new_client_id
from app.monitor.timeutil import iso_to_ms, ms_to_iso

log = logging.getLogger(__name__)

FORMATS = ("png", "webp", "jpeg")
TEXT_HEAVY_MAX_COLORS = 2048


# ---- pure policy ------------------------------------------------------------------------------

def next_delay(interval: float, jitter: float = 0.2, rng: random.Random | None = None) -> float:
    """Seconds to the next capture: ``interval`` ± ``jitter`` × interval, never below 1 s."""
    spread = max(0.0, min(jitter, 0.9)) * interval
    value = interval + (rng or random).uniform(-spread, spread)
    return max(1.0, value)


def choose_format(setting: str, image: Image.Image) -> str:
    """``png`` for text-heavy screens (few distinct colours) in ``auto`` mode, else WebP."""
    if setting in FORMATS:
        return setting
    colors = image.reduce(8).getcolors(TEXT_HEAVY_MAX_COLORS)
    return "png" if colors is not None else "webp"


def select_for_retention(
    rows: Iterable[Mapping[str, Any]], now_ms: int, max_age_days: float, cap_bytes: int, *,
    keep_unsent: bool = False,
) -> list[str]:
    """client_ids to delete: older than ``max_age_days``, then oldest first until under the cap.

    With ``keep_unsent`` (a server is configured) rows not yet uploaded (``synced_at`` NULL) are never
    chosen: unsent data leaves only through the sync worker's counted queue caps (INGESTION_API.md §10.9).
    """
    ordered = sorted(rows, key=lambda r: r["captured_at"])
    cutoff = now_ms - int(max_age_days * 86_400_000) if max_age_days > 0 else None
    doomed: list[str] = []
    kept: list[Mapping[str, Any]] = []
    for row in ordered:
        protected = keep_unsent and row.get("synced_at") is None
        if not protected and cutoff is not None and iso_to_ms(row["captured_at"]) < cutoff:
            doomed.append(row["client_id"])
        else:
            kept.append(row)
    total = sum(int(r["size_bytes"]) for r in kept)
    for row in kept:
        if cap_bytes <= 0 or total <= cap_bytes:
            break
        if keep_unsent and row.get("synced_at") is None:
            continue
        doomed.append(row["client_id"])
        total -= int(row["size_bytes"])
    return doomed


@dataclass(frozen=True)
class Encoded:
    """One encoded screenshot: the file bytes, their size and format, and whether it was blurred."""

    data: bytes
    width: int
    height: int
    format: str
    blurred: bool


def encode(image: Image.Image, *, fmt: str = "auto", quality: int = 70, blur: float = 0,
           downscale: float = 1.0) -> Encoded:
    """Downscale, blur and encode one image (PNG fast zlib level, WebP method 2, JPEG optimize off)."""
    image = image.convert("RGB")
    scale = min(1.0, max(0.1, float(downscale)))
    if scale < 1.0:
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    blurred = blur > 0
    if blurred:
        image = image.filter(ImageFilter.GaussianBlur(radius=float(blur)))
    chosen = choose_format(fmt, image)
    quality = min(100, max(1, int(quality)))
    buffer = io.BytesIO()
    if chosen == "png":
        image.save(buffer, "PNG", compress_level=3)
    elif chosen == "webp":
        image.save(buffer, "WEBP", quality=quality, method=2)
    else:
        image.save(buffer, "JPEG", quality=quality)
    return Encoded(buffer.getvalue(), image.width, image.height, chosen, blurred)


# ---- shell --------------------------------------------------------------------------------------

def grab(sct: Any, monitors: str = "primary") -> Image.Image:
    """Capture the primary monitor (``sct.monitors[1]``) or all of them (``[0]``) as RGB."""
    index = 0 if monitors == "all" or len(sct.monitors) < 2 else 1
    shot = sct.grab(sct.monitors[index])
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 through a temporary file; no partial file stays."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


class ScreenshotTaker:
    """Captures, encodes and stores screenshots of one profile; use on one (worker) thread."""

    def __init__(self, data_dir: Path, store: MonitorStore, *, display: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.store = store
        self.display = display
        self._sct: Any = None

    @property
    def screenshots_dir(self) -> Path:
        return self.data_dir / "screenshots"

    def _mss(self) -> Any:
        if self._sct is None:
            import mss

            kwargs = {"display": self.display} if self.display else {}
            factory = getattr(mss, "MSS", None) or mss.mss
            self._sct = factory(**kwargs)
        return self._sct

    def take(self, now_ms: int, settings: Settings) -> dict[str, Any] | None:
        """Capture now with the ``monitoring.screenshot_*`` settings; returns the outbox row, or None when the
        disk was full."""
        image = grab(self._mss(), settings.text("monitoring.screenshot_monitors"))
        encoded = encode(
            image, fmt=settings.text("monitoring.screenshot_format"),
            quality=settings.integer("monitoring.screenshot_quality", minimum=1),
            blur=settings.number("monitoring.screenshot_blur"),
            downscale=settings.number("monitoring.screenshot_downscale") or 1.0,
        )
        return self.save(now_ms, encoded)

    def save(self, now_ms: int, encoded: Encoded) -> dict[str, Any] | None:
        client_id = new_client_id()
        stamp = ms_to_iso(now_ms)
        extension = "jpg" if encoded.format == "jpeg" else encoded.format
        relative = Path("screenshots") / stamp[:4] / stamp[5:7] / stamp[8:10] / (
            f"{stamp[11:19].replace(':', '')}_{client_id}.{extension}")
        path = self.data_dir / relative
        try:
            write_private(path, encoded.data)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            log.warning("disk full: screenshot skipped (%s)", exc)
            self.store.bump("disk_full_screenshots")
            return None
        row = {
            "client_id": client_id, "captured_at": stamp, "file_path": relative.as_posix(),
            "sha256": hashlib.sha256(encoded.data).hexdigest(), "size_bytes": len(encoded.data),
            "width": encoded.width, "height": encoded.height, "format": encoded.format,
            "blurred": int(encoded.blurred),
        }
        if not self.store.insert_screenshot(row):
            path.unlink(missing_ok=True)
            return None
        return row

    def apply_retention(self, now_ms: int, max_age_days: float, cap_mb: float, *, keep_unsent: bool = False) -> int:
        doomed = select_for_retention(self.store.all_screenshots(), now_ms, max_age_days,
                                      int(cap_mb * 1024 * 1024), keep_unsent=keep_unsent)
        return delete_screenshots(self.data_dir, self.store, doomed)

    def close(self) -> None:
        if self._sct is not None:
            try:
                self._sct.close()
            except Exception:  # noqa: BLE001 - closing a handle whose display is gone
                pass
            self._sct = None


def delete_screenshots(data_dir: Path, store: MonitorStore, client_ids: Iterable[str]) -> int:
    """Delete files and outbox rows ("deleted" means both); returns the number of rows removed."""
    ids = list(client_ids)
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(f"SELECT file_path FROM screenshots WHERE client_id IN ({marks})", ids).fetchall()
    base = Path(data_dir).resolve()
    for row in rows:
        target = (base / row["file_path"]).resolve()
        if base in target.parents:
            target.unlink(missing_ok=True)
    return store.delete_screenshot_rows(ids)
