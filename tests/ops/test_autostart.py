"""Autostart entries: Linux for real (temporary XDG_CONFIG_HOME), macOS plist rendering."""

from __future__ import annotations

import plistlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import autostart
from app.autostart import _linux, _macos

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux autostart backend")


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_enable_disable_round_trip(xdg: Path) -> None:
    assert autostart.BACKEND == "linux"
    assert not autostart.is_enabled()
    autostart.enable(["/opt/WFH Agent/wfh-agent", "--data-dir", "/home/u/my profile", "--minimized"])
    entry = xdg / "autostart" / "wfh-agent.desktop"
    text = entry.read_text()
    assert autostart.is_enabled()
    assert 'Exec="/opt/WFH Agent/wfh-agent" --data-dir "/home/u/my profile" --minimized' in text
    assert text.startswith("[Desktop Entry]\nType=Application\n")
    autostart.apply(True)  # idempotent, default command
    assert autostart.is_enabled() and "--minimized" in entry.read_text()
    autostart.apply(False)
    assert not entry.exists() and not autostart.is_enabled()
    autostart.disable()  # disabling twice is fine


def test_hidden_entry_counts_as_disabled(xdg: Path) -> None:
    autostart.enable(["wfh-agent"])
    entry = _linux.entry_path()
    entry.write_text(entry.read_text() + "Hidden=true\n")
    assert not autostart.is_enabled()


def test_relative_xdg_config_home_is_ignored(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _linux.autostart_dir() == tmp_path / ".config" / "autostart"


@pytest.mark.parametrize("arg", ["plain", "with space", 'quote"d', "dollar$HOME", "back\\slash", "50%"])
def test_exec_quoting_round_trips(arg: str) -> None:
    quoted = _linux.quote_exec_arg(arg)
    # Read it back as the Desktop Entry spec says: first the string escape (\\ -> \), then the
    # Exec quoting ("…" with \" \` \$ \\ escaped), then %% -> %.
    value = quoted.replace("\\\\", "\\")
    if value.startswith('"'):
        assert value.endswith('"')
        value = re.sub(r'\\([\\"`$])', r"\1", value[1:-1])
    assert value.replace("%%", "%") == arg


def test_default_command_ends_minimized(tmp_path: Path) -> None:
    argv = autostart.default_command(tmp_path)
    assert argv[-3:] == ["--data-dir", str(tmp_path.resolve()), "--minimized"]


def test_macos_plist_shape(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    _macos.enable(["/Applications/WFH Agent.app/Contents/MacOS/wfh-agent", "--minimized"])
    data = plistlib.loads(_macos.plist_path().read_bytes())
    assert data["Label"] == "com.wfh-agent.desktop" and data["RunAtLoad"] is True
    assert data["ProgramArguments"][-1] == "--minimized"
    assert _macos.is_enabled()
    _macos.disable()
    assert not _macos.is_enabled()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_entries_pass_desktop_file_validate(xdg: Path) -> None:
    autostart.enable(["/opt/WFH Agent/wfh-agent", "--data-dir", "/tmp/a b", "--minimized"])
    shipped = Path(__file__).resolve().parents[2] / "packaging" / "linux" / "wfh-agent.desktop"
    for path in (_linux.entry_path(), shipped):
        done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout
