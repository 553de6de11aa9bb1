"""Content-addressed screenshot files (INGESTION_API.md §5.4): ``<root>/ab/cd/<sha256>.<ext>``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}


def relative_path(sha256: str, fmt: str) -> str:
    return f"{sha256[0:2]}/{sha256[2:4]}/{sha256}.{EXTENSIONS[fmt]}"


def derived_path(root: Path, relative: str, thumb: bool, blur: bool) -> Path:
    """Where the dashboard caches a thumbnail or blurred copy (PNG) of the file at ``relative``."""
    name = Path(relative).stem + ("-thumb" if thumb else "") + ("-blur" if blur else "") + ".png"
    return root / ".derived" / relative[:5] / name


def remove_file(root: Path, relative: str) -> bool:
    """Delete a stored file and every cached copy of it; False when the file was already gone. A
    path from the database that leaves ``root`` is refused (it never does: ``relative_path``)."""
    target = (root / relative).resolve()
    if root.resolve() not in target.parents:
        raise ValueError(f"screenshot path outside the storage folder: {relative!r}")
    for thumb, blur in ((True, False), (False, True), (True, True)):
        derived_path(root, relative, thumb, blur).unlink(missing_ok=True)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def magic_matches(data: bytes, fmt: str) -> bool:
    if fmt == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if fmt == "jpeg":
        return data.startswith(b"\xff\xd8\xff")
    return data[0:4] == b"RIFF" and data[8:12] == b"WEBP"


def store_file(root: str, relative: str, data: bytes) -> None:
    """Write via temp file + fsync + rename; an existing file (same content) is left as is."""
    target = Path(root) / relative
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
