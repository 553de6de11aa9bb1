"""GNOME Shell and KWin on Wayland: window titles through the desktop scripts we ship (issue 14).

GNOME Shell and KWin cannot run here; what can is everything on our side of the session bus: the
extension's and the script's D-Bus interface is served by fake services (tests/monitor/fake_dbus_service.py)
or called by the test exactly as the KWin script calls it, on a private session bus.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.monitor import session
from app.monitor.window import _desktop_bridge as bridge
from app.paths import package_data_dir
from tests.monitor.test_media import dbus_service, session_bus  # noqa: F401 - the fixture is used by name

ROOT = Path(__file__).resolve().parents[2]


def _connect() -> Any:
    from jeepney.io.blocking import open_dbus_connection

    return open_dbus_connection(bus="SESSION")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=5)


def test_gnome_extension_answers_are_the_focused_window(session_bus: str) -> None:  # noqa: F811
    report = json.dumps({"title": "<b>Budget</b> – LibreOffice Calc", "app_id": "libreoffice-calc", "pid": os.getpid()})
    tracker = dbus_service(bridge.GNOME_TRACKER[0], {"FocusedWindow": ["s", report]})
    backend = bridge.GnomeShellWindowBackend()
    try:
        found = backend.active_window()
        assert found is not None and found.title == "<b>Budget</b> – LibreOffice Calc" and found.pid == os.getpid()
        assert tracker.stdin is not None and tracker.stdout is not None
        tracker.stdin.write('FocusedWindow "null"\n')            # the focus is on the desktop
        tracker.stdin.flush()
        assert tracker.stdout.readline().strip() == "set FocusedWindow"
        assert backend.active_window() is None
    finally:
        backend.close()
        _stop(tracker)


def test_without_the_extension_the_backend_refuses_and_detection_says_how_to_install(
        session_bus: str) -> None:  # noqa: F811
    with pytest.raises(OSError, match="GNOME Shell extension does not answer"):
        bridge.GnomeShellWindowBackend()
    env = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"}
    found = session.detect(env)
    assert not found.titles_available and "wfh-agent desktop-integration install" in found.window_note
    tracker = dbus_service(bridge.GNOME_TRACKER[0], {"FocusedWindow": ["s", "null"]})
    try:
        found = session.detect(env)
        assert found.window == session.GNOME_SHELL and found.titles_available
    finally:
        _stop(tracker)


@pytest.mark.parametrize("junk", ["", "not json", "[1, 2]", '{"title": 5, "pid": "12"}', '{"pid": true}',
                                  '{"title": "x", "pid": 99999999999}'])
def test_malformed_reports_never_raise(junk: str) -> None:
    found = bridge.parse_report(junk)
    assert found is None or (found.pid is None and isinstance(found.title, str))


def test_kwin_script_is_loaded_and_its_reports_are_the_focused_window(session_bus: str, tmp_path: Path) -> None:  # noqa: F811
    calls = tmp_path / "kwin-calls.log"
    kwin = dbus_service("org.kde.KWin", {"loadScript": ["i", 3], "start": ["", None], "unloadScript": ["b", True]},
                        call_log=calls)
    script = package_data_dir("resources") / "desktop" / "kwin" / "main.js"
    backend = bridge.KWinWindowBackend(script)
    woke: list[int] = []
    stop = backend.watch_changes(lambda: woke.append(1))
    caller = _connect()
    try:
        names = [line.split(" ", 1)[0] for line in calls.read_text().splitlines()]
        assert names == ["unloadScript", "loadScript", "start"]
        assert json.loads(calls.read_text().splitlines()[1].split(" ", 1)[1]) == [str(script), bridge.KWIN_PLUGIN]
        assert backend.active_window() is None

        from jeepney import DBusAddress, MessageType, new_method_call

        def script_reports(payload: str) -> None:     # what main.js does through KWin's callDBus
            name, path, interface = bridge.KWIN_BRIDGE
            reply = caller.send_and_get_reply(new_method_call(
                DBusAddress(path, bus_name=name, interface=interface), "WindowActivated", "s", (payload,)), timeout=5)
            assert reply.header.message_type == MessageType.method_return

        script_reports(json.dumps({"title": "Inbox — Thunderbird", "app_id": "thunderbird", "pid": os.getpid()}))
        found = backend.active_window()
        assert found is not None and found.title == "Inbox — Thunderbird" and found.pid == os.getpid()
        script_reports("")                               # no window has the focus
        assert backend.active_window() is None and len(woke) == 2
    finally:
        if stop is not None:
            stop()
        caller.close()
        backend.close()
        deadline = time.monotonic() + 5
        while "unloadScript" not in calls.read_text().splitlines()[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
        _stop(kwin)
    assert calls.read_text().splitlines()[-1].startswith("unloadScript")   # the script leaves with the agent


def test_kwin_refusing_the_script_is_a_clear_error(session_bus: str, tmp_path: Path) -> None:  # noqa: F811
    kwin = dbus_service("org.kde.KWin", {"loadScript": ["i", -1], "unloadScript": ["b", False]})
    try:
        with pytest.raises(OSError, match="KWin refused the script"):
            bridge.KWinWindowBackend(tmp_path / "main.js")
    finally:
        _stop(kwin)


def test_kde_wayland_detection_uses_kwin_when_it_is_on_the_bus() -> None:
    env = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}
    assert session.detect(env, bus_name_present=lambda name: name == "org.kde.KWin").window == session.KWIN
    assert not session.detect(env, bus_name_present=lambda name: False).titles_available


def test_install_puts_the_extension_where_gnome_shell_looks(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share"), "PATH": "/usr/bin:/bin"}
    env.pop("WAYLAND_DISPLAY", None)
    run = [sys.executable, "-m", "app.cli", "desktop-integration"]
    done = subprocess.run([*run, "install"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    target = tmp_path / "share" / "gnome-shell" / "extensions" / bridge.GNOME_EXTENSION_UUID
    metadata = json.loads((target / "metadata.json").read_text())
    assert metadata["uuid"] == target.name and "log out" in done.stdout
    assert (target / "extension.js").read_text().count("org.wfhagent.WindowTracker") >= 1
    status = subprocess.run([*run, "status"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert f"installed in {target}" in status.stdout
    removed = subprocess.run([*run, "remove"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert removed.returncode == 0 and not target.exists()


def test_install_into_a_read_only_folder_is_one_clear_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocked = tmp_path / "share"
        blocked.write_text("a file where the folder should be")   # root ignores permissions, not file types
    else:
        blocked = tmp_path / "share"
        blocked.mkdir(mode=0o500)
    env = {**os.environ, "XDG_DATA_HOME": str(blocked), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "desktop-integration", "install"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode != 0 and "cannot write the GNOME Shell extension" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (JavaScript syntax check)")
@pytest.mark.parametrize(("name", "module"), [("gnome-shell/extension.js", True), ("kwin/main.js", False)])
def test_shipped_scripts_parse_as_javascript(name: str, module: bool) -> None:
    source = package_data_dir("resources") / "desktop" / name
    flags = ["--experimental-default-type=module"] if module else []
    done = subprocess.run(["node", *flags, "--check", str(source)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
