"""macOS: a LaunchAgent ``~/Library/LaunchAgents/com.wfh-agent.desktop.plist`` with RunAtLoad.

launchd reads the folder at login, so writing or removing the file is all that is needed; the
agent is not loaded now (the app is already running) and ``ProcessType=Interactive`` marks it
as a GUI app. ``KeepAlive`` stays off: quitting from the tray must stay quit.
"""

from __future__ import annotations

import os
import plistlib
from collections.abc import Sequence
from pathlib import Path

LABEL = "com.wfh-agent.desktop"


def plist_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def render(command: Sequence[str]) -> bytes:
    return plistlib.dumps({
        "Label": LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    })


def is_enabled() -> bool:
    try:
        data = plistlib.loads(plist_path().read_bytes())
    except (OSError, plistlib.InvalidFileException, ValueError):
        return False
    return bool(data.get("RunAtLoad")) and not data.get("Disabled", False)


def enable(command: Sequence[str]) -> None:
    path = plist_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(render(command))
    os.replace(tmp, path)


def disable() -> None:
    plist_path().unlink(missing_ok=True)
