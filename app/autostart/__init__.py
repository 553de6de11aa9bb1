"""Start WFH Agent at login: one backend per OS, chosen once at import.

Every backend has the same three functions: ``is_enabled()``, ``enable(command)`` and
``disable()``; ``command`` is the argv to run (``default_command()`` builds it). The Settings
dialog's ``general.autostart`` toggle calls ``apply(enabled)``; the OS entry, not the setting, is
the truth (the user may remove it through the desktop's own tools), so read ``is_enabled()``
to show the checkbox.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
    from app.autostart import _linux as _backend
elif sys.platform == "win32":
    from app.autostart import _windows as _backend  # type: ignore[no-redef]
elif sys.platform == "darwin":
    from app.autostart import _macos as _backend  # type: ignore[no-redef]
else:  # pragma: no cover - no other desktop platform is supported
    from app.autostart import _linux as _backend

BACKEND = _backend.__name__.rsplit(".", 1)[-1].lstrip("_")


def default_command(data_dir: str | Path | None = None, minimized: bool = True) -> list[str]:
    """argv that starts this installation: the frozen executable, the ``wfh-agent`` script, or
    ``python -m app.cli``. ``--minimized`` so a login start goes straight to the tray."""
    if getattr(sys, "frozen", False):
        argv = [sys.executable]
    else:
        script = shutil.which("wfh-agent")
        argv = [script] if script else [sys.executable, "-m", "app.cli"]
    if data_dir is not None:
        argv += ["--data-dir", str(Path(data_dir).expanduser().resolve())]
    if minimized:
        argv.append("--minimized")
    return argv


def is_enabled() -> bool:
    return _backend.is_enabled()


def enable(command: Sequence[str] | None = None) -> None:
    _backend.enable(list(command) if command is not None else default_command())


def disable() -> None:
    _backend.disable()


def apply(enabled: bool, command: Sequence[str] | None = None) -> None:
    """Make the OS entry match the setting (idempotent)."""
    if enabled:
        enable(command)
    else:
        disable()
