"""A real headless sway session for tests: Debian's sway and foot, run as a non-root user (sway refuses root).

As root the session runs as ``postgres`` (the user tests/support/pg.py already uses) or, when it does not
exist, a system user made here; as another user, as that user. Its own XDG_RUNTIME_DIR (mode 0700) holds
the Wayland and IPC sockets; the test process (root) connects to them like a client of that session.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.monitor.window._sway import _nodes
from tests.monitor.x11_support import _wait

SWAY_USER = "wfh-sway-test"
HEADLESS = {"WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman"}


def missing_tools() -> list[str]:
    return [tool for tool in ("sway", "swaymsg", "foot") if shutil.which(tool) is None]


def _session_user() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("postgres", SWAY_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SWAY_USER],
                   check=True, capture_output=True)
    return pwd.getpwnam(SWAY_USER)


@dataclass
class SwaySession:
    runtime_dir: str
    socket: str
    wayland_display: str
    user: pwd.struct_passwd
    clients: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """The environment of a client of this session (what the agent sees on a sway desktop)."""
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SWAYSOCK")}
        env.update(XDG_RUNTIME_DIR=self.runtime_dir, WAYLAND_DISPLAY=self.wayland_display, SWAYSOCK=self.socket,
                   XDG_SESSION_TYPE="wayland", XDG_CURRENT_DESKTOP="sway")
        return env

    def swaymsg(self, *args: str) -> str:
        out = subprocess.run(["swaymsg", "-s", self.socket, *args], capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise RuntimeError(f"swaymsg {args}: {out.stdout} {out.stderr}")
        return out.stdout

    def open_terminal(self, title: str) -> subprocess.Popen[bytes]:
        """A foot window titled ``title``; returns once sway shows it."""
        proc = subprocess.Popen(["foot", "-T", title, "sleep", "100000"], env=self._user_env(), user=self.user.pw_uid,
                                group=self.user.pw_gid, extra_groups=[], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.clients.append(proc)
        _wait(lambda: title in self.titles(), 15, f"foot window {title!r} did not appear")
        return proc

    def titles(self) -> set[str]:
        tree = json.loads(self.swaymsg("-t", "get_tree", "-r"))
        return {str(node.get("name")) for node in _nodes(tree) if node.get("pid")}

    def focus(self, title: str) -> None:
        self.swaymsg(f'[title="^{re.escape(title)}$"] focus')

    def touch(self) -> None:
        """Pointer activity (the session has no input devices): resets the compositor's idle timer."""
        self.swaymsg("seat", "-", "cursor", "move", "1", "0")

    def _user_env(self) -> dict[str, str]:
        return {"HOME": self.runtime_dir, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "XDG_RUNTIME_DIR": self.runtime_dir, "WAYLAND_DISPLAY": self.wayland_display, **HEADLESS}


@contextmanager
def sway_session() -> Iterator[SwaySession]:
    user = _session_user()
    runtime = tempfile.mkdtemp(prefix="wfh-sway-")
    os.chown(runtime, user.pw_uid, user.pw_gid)
    os.chmod(runtime, 0o700)
    config = os.path.join(runtime, "config")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("default_border none\nfocus_on_window_activation none\n")
    env = {"HOME": runtime, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "XDG_RUNTIME_DIR": runtime, **HEADLESS}
    log = open(os.path.join(runtime, "sway.log"), "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(["sway", "-c", config], env=env, user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                            stdout=log, stderr=log)
    session = None
    try:
        def sockets() -> list[str]:
            return glob.glob(os.path.join(runtime, "sway-ipc.*.sock"))

        _wait(lambda: bool(sockets()) and os.path.exists(os.path.join(runtime, "wayland-1")) or proc.poll() is not None,
              20, "sway did not start")
        if proc.poll() is not None:
            with open(os.path.join(runtime, "sway.log"), encoding="utf-8", errors="replace") as failed:
                raise RuntimeError(f"sway exited {proc.returncode}: {failed.read()[-2000:]}")
        session = SwaySession(runtime, sockets()[0], "wayland-1", user)
        yield session
    finally:
        for client in session.clients if session else []:
            client.terminate()
            client.wait(timeout=5)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)
