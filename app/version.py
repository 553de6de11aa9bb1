"""The app's version: one source of truth, ``version`` in pyproject.toml."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path


def _from_pyproject() -> str | None:
    roots = [Path(__file__).resolve().parent.parent]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.insert(0, Path(bundle))
    for root in roots:
        candidate = root / "pyproject.toml"
        if candidate.exists():
            match = re.search(r'^version\s*=\s*"([^"]+)"', candidate.read_text(encoding="utf-8"), re.M)
            if match:
                return match.group(1)
    return None


def _resolve() -> str:
    found = _from_pyproject()
    if found:
        return found
    try:
        return metadata.version("wfh-agent")
    except metadata.PackageNotFoundError:  # pragma: no cover - neither source present
        return "0.0.0"


__version__ = _resolve()
