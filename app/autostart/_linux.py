"""Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/wfh-agent.desktop``.

Follows the XDG Autostart and Desktop Entry specifications: an entry with ``Hidden=true``
counts as disabled, and ``Exec`` arguments are quoted by the spec's rules (not the shell's).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

FILE_NAME = "wfh-agent.desktop"
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "autostart"


def entry_path() -> Path:
    return autostart_dir() / FILE_NAME


def quote_exec_arg(arg: str) -> str:
    """Quote one ``Exec`` argument (Desktop Entry spec, "The Exec key")."""
    arg = arg.replace("%", "%%")
    if arg and not any(ch in _RESERVED for ch in arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    # The file format itself treats backslashes as escapes, so they are doubled once more.
    return '"' + escaped.replace("\\", "\\\\") + '"'


def render(command: Sequence[str]) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=WFH Agent",
        "Comment=Time tracker and work-from-home monitor",
        "Exec=" + " ".join(quote_exec_arg(a) for a in command),
        "Icon=wfh-agent",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def is_enabled() -> bool:
    path = entry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    lines = {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip()
             for line in text.splitlines() if "=" in line}
    return lines.get("Hidden", "false").lower() != "true" and \
        lines.get("X-GNOME-Autostart-enabled", "true").lower() != "false"


def enable(command: Sequence[str]) -> None:
    path = entry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(command), encoding="utf-8")
    os.replace(tmp, path)


def disable() -> None:
    entry_path().unlink(missing_ok=True)
