"""Which desktop session the agent runs in, decided at run time from the environment, and what it can read.

Wayland compositors do not let one client read another's window; each needs its own interface. The
monitor picks its backends from ``XDG_SESSION_TYPE``, ``WAYLAND_DISPLAY``, ``SWAYSOCK`` and
``XDG_CURRENT_DESKTOP`` when monitoring starts (not at import), and every session it cannot read gets a
plain statement with what to do, shown in the Activity view, the consent screen and Diagnostics, instead
of rows of "Unknown".
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

X11, SWAY, GNOME_SHELL, KWIN, UNREADABLE = "x11", "sway", "gnome-shell", "kwin", "unreadable"


@dataclass(frozen=True)
class Session:
    """``window``/``idle``: the backend to use; ``*_note``: one line for the user about it."""

    kind: str              # "x11", "wayland", "none"
    desktop: str           # e.g. "sway", "gnome", "kde" ("" when not known)
    window: str            # X11, SWAY, GNOME_SHELL, KWIN or UNREADABLE
    window_note: str
    idle: str              # "x11", "swayidle", "dbus" (GNOME / KDE services) or "none"
    idle_note: str
    swaysock: str | None = None
    display: str | None = None

    @property
    def titles_available(self) -> bool:
        return self.window != UNREADABLE


def _desktop(env: Mapping[str, str]) -> str:
    names = (env.get("XDG_CURRENT_DESKTOP") or env.get("XDG_SESSION_DESKTOP") or env.get("DESKTOP_SESSION") or "")
    lowered = names.lower()
    for known in ("sway", "gnome", "kde", "hyprland", "wayfire", "river", "xfce", "cinnamon", "mate", "lxqt"):
        if known in lowered:
            return known
    return lowered.split(":")[0]


_HOWTO = {
    "gnome": ("GNOME on Wayland does not let applications read the focused window. To record titles, install "
              "the WFH Agent GNOME Shell extension (run “wfh-agent desktop-integration install”, log out and "
              "in), or choose “GNOME on Xorg” on the login screen (gear icon)."),
    "kde": ("KDE Plasma on Wayland does not let applications read the focused window, and KWin's scripting "
            "service was not found on the session bus. To record titles, choose “Plasma (X11)” on the login "
            "screen, or use sway."),
}
# The session-bus name whose presence makes titles readable on these Wayland desktops (see
# app/monitor/window/_desktop_bridge.py): our GNOME Shell extension, or KWin itself (we load our script).
_BRIDGES = {"gnome": (GNOME_SHELL, "org.wfhagent.WindowTracker",
                      "Window titles: from the WFH Agent GNOME Shell extension."),
            "kde": (KWIN, "org.kde.KWin", "Window titles: from the WFH Agent KWin script (window events).")}


def _bus_name_present(name: str) -> bool:
    from app.monitor.window._desktop_bridge import name_has_owner

    return name_has_owner(name)


def detect(env: Mapping[str, str] | None = None, *, have_swayidle: bool | None = None,
           bus_name_present: Callable[[str], bool] | None = None) -> Session:
    """The session described by ``env`` (default: this process's environment). On GNOME and KDE Wayland
    one session-bus question (``bus_name_present``) tells whether our desktop script can read titles."""
    env = os.environ if env is None else env
    if sys.platform in ("win32", "darwin"):
        return Session("native", sys.platform, "native", "Window titles: from the system.",
                       "native", "Idle time: from the system.")
    desktop = _desktop(env)
    kind_hint = (env.get("XDG_SESSION_TYPE") or "").lower()
    wayland = kind_hint == "wayland" or bool(env.get("WAYLAND_DISPLAY")) or bool(env.get("SWAYSOCK"))
    display = env.get("DISPLAY") or None
    if have_swayidle is None:
        have_swayidle = shutil.which("swayidle") is not None
    if wayland and env.get("SWAYSOCK"):
        if have_swayidle:
            idle, idle_note = "swayidle", ("Idle time: from the compositor through swayidle (idle-notify protocol); "
                                           "while a window inhibits idle, time is active and marked passive; "
                                           "screen lock: a swaylock-style locker running.")
        else:
            idle, idle_note = "none", ("Idle time is not detected: install swayidle (apt install swayidle); "
                                       "until then all time counts as active.")
        return Session("wayland", desktop or "sway", SWAY, "Window titles: from sway’s IPC (window events).",
                       idle, idle_note, swaysock=env["SWAYSOCK"], display=display)
    if wayland:
        name = {"gnome": "GNOME", "kde": "KDE Plasma"}.get(desktop, desktop or "this Wayland desktop")
        howto = _HOWTO.get(desktop, "To record them, use an X11 session or sway (wlroots compositors "
                                    "with SWAYSOCK set are supported).")
        note = f"Window titles are not available on this desktop ({name} on Wayland): {howto}"
        if desktop in ("gnome", "kde"):
            idle_note = f"Idle time: from {name} over D-Bus (idle monitor and screen lock)."
            kind, bus_name, bridge_note = _BRIDGES[desktop]
            if (bus_name_present or _bus_name_present)(bus_name):
                return Session("wayland", desktop, kind, bridge_note, "dbus", idle_note, display=display)
            return Session("wayland", desktop, UNREADABLE, note, "dbus", idle_note, display=display)
        return Session("wayland", desktop, UNREADABLE, note, "none",
                       "Idle time is not detected on this desktop: all time counts as active.", display=display)
    if display:
        return Session("x11", desktop, X11, "Window titles: from the X server (_NET_ACTIVE_WINDOW).", "x11",
                       "Idle time: from the X server (XScreenSaver extension).", display=display)
    return Session("none", desktop, UNREADABLE,
                   "Window titles are not available: no graphical session was found (neither DISPLAY nor "
                   "WAYLAND_DISPLAY is set). Start WFH Agent from your desktop session.", "none",
                   "Idle time is not detected without a graphical session: all time counts as active.")


def statement(session: Session | None = None) -> str | None:
    """The one line to show when titles cannot be recorded; None when they can."""
    session = session or detect()
    return None if session.titles_available else session.window_note
