"""``wfh-agent desktop-integration install|remove|status``: window titles on GNOME and KDE Wayland.

GNOME Shell on Wayland reads window titles only through an extension of its own: ``install`` copies
the WFH Agent extension (``resources/desktop/gnome-shell``, about 50 lines, readable) into the user's
extension folder and enables it; GNOME loads it at the next login. Plasma needs nothing installed: the
agent loads its KWin script itself while monitoring runs. ``status`` says what this session can read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from app.errors import WfhError
from app.monitor import session as sessions
from app.monitor.window._desktop_bridge import GNOME_EXTENSION_UUID
from app.paths import package_data_dir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "desktop-integration",
        help="window titles on GNOME/KDE Wayland: install, remove or check the desktop integration")
    parser.add_argument("action", choices=("install", "remove", "status"), nargs="?", default="status")
    parser.set_defaults(handler=run)


def extensions_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "gnome-shell" / "extensions" / GNOME_EXTENSION_UUID


def shipped_extension() -> Path:
    return package_data_dir("resources") / "desktop" / "gnome-shell"


def install() -> Path:
    """Copy the extension into the user's GNOME extension folder (replacing an older copy)."""
    source, target = shipped_extension(), extensions_dir()
    uuid = json.loads((source / "metadata.json").read_text(encoding="utf-8"))["uuid"]
    if uuid != GNOME_EXTENSION_UUID:
        raise WfhError(f"the shipped extension's uuid {uuid!r} is not {GNOME_EXTENSION_UUID!r} (broken install)")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("extension.js", "metadata.json"):
            shutil.copyfile(source / name, target / name)
    except OSError as exc:
        raise WfhError(f"cannot write the GNOME Shell extension to {target}: {exc.strerror or exc}") from exc
    return target


def _gnome_extensions(*args: str) -> str | None:
    """Run ``gnome-extensions``; its one-line outcome, or None when GNOME's tool is not installed."""
    tool = shutil.which("gnome-extensions")
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"gnome-extensions {args[0]} failed: {exc}"
    return (done.stdout + done.stderr).strip() or f"gnome-extensions {args[0]}: ok"


def run(args: argparse.Namespace) -> int:
    found = sessions.detect()
    if args.action == "install":
        target = install()
        print(f"Installed the WFH Agent GNOME Shell extension in {target}.")
        outcome = _gnome_extensions("enable", GNOME_EXTENSION_UUID)
        if outcome is not None:
            print(outcome)
        print("GNOME Shell on Wayland loads new extensions at login: log out and back in, then WFH Agent "
              "records window titles (check with “wfh-agent desktop-integration status”).")
        if found.desktop == "kde":
            print("On KDE Plasma nothing needs installing: WFH Agent loads its KWin script while monitoring runs.")
        return 0
    if args.action == "remove":
        _gnome_extensions("disable", GNOME_EXTENSION_UUID)
        target = extensions_dir()
        if target.exists():
            shutil.rmtree(target)
            print(f"Removed {target}. Window titles are no longer readable on GNOME Wayland after the next login.")
        else:
            print("The WFH Agent GNOME Shell extension is not installed.")
        return 0
    print(f"Desktop session: {found.kind}{' / ' + found.desktop if found.desktop else ''}")
    print(found.window_note)
    print(found.idle_note)
    installed = (extensions_dir() / "metadata.json").exists()
    print(f"GNOME Shell extension: {'installed in ' + str(extensions_dir()) if installed else 'not installed'}")
    return 0
