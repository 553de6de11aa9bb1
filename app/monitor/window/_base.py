"""The small interface every active-window backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ActiveWindow:
    """The foreground window: its owner's pid (if known), title, and process name (if known)."""

    pid: int | None
    title: str
    process_name: str | None = None


class WindowBackend(Protocol):
    """What every per-OS window backend offers: its name, the active window (None when unknown), close()."""

    name: str

    def active_window(self) -> ActiveWindow | None: ...

    def close(self) -> None: ...
