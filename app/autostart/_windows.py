"""Windows: a value in ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

Per-user, so no administrator rights are needed; the value is the command line quoted with
``subprocess.list2cmdline`` (the MS C runtime rules that ``CreateProcess`` callers expect).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

assert sys.platform == "win32"  # lets type checkers skip this module elsewhere

import winreg  # noqa: E402

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "WFH Agent"


def is_enabled() -> bool:
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _kind = winreg.QueryValueEx(key, VALUE_NAME)
    except FileNotFoundError:
        return False
    return bool(value)


def enable(command: Sequence[str]) -> None:
    with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        winreg.SetValueEx(key, VALUE_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(list(command)))


def disable() -> None:
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.DeleteValue(key, VALUE_NAME)
    except FileNotFoundError:
        pass
