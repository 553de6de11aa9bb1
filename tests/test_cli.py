"""The command line as a user runs it: real subprocesses, real profile folders."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.version import __version__
from tests.support.legacy import build_messy_legacy_db

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=120, env=full_env, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_version_comes_from_pyproject() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"wfh-agent {__version__}"
    assert f'version = "{__version__}"' in (ROOT / "pyproject.toml").read_text()


def test_db_info_json_on_fresh_profile(tmp_path: Path) -> None:
    result = run_cli("--data-dir", str(tmp_path), "db-info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) >= {"schema_version", "tables", "file_size", "integrity"}
    assert info["integrity"] == "ok" and info["schema_version"] >= 2
    assert info["tables"]["weeks"] == 0 and "tasks_optimized" in info["tables"]
    assert (tmp_path / "wfh_agent.db").stat().st_mode & 0o777 == 0o600


def test_data_dir_from_environment(tmp_path: Path) -> None:
    result = run_cli("db-info", "--json", env={"WFH_AGENT_DATA_DIR": str(tmp_path / "envprofile")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "envprofile" / "wfh_agent.db").exists()


def test_newer_schema_exits_with_one_line(tmp_path: Path) -> None:
    assert run_cli("--data-dir", str(tmp_path), "db-info").returncode == 0
    conn = sqlite3.connect(tmp_path / "wfh_agent.db")
    conn.execute("PRAGMA user_version = 77")
    conn.close()
    result = run_cli("--data-dir", str(tmp_path), "db-info", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "newer than this app supports" in lines[0] and "Traceback" not in result.stderr


def test_import_legacy_json_twice(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.db"
    facts = build_messy_legacy_db(legacy)
    profile = tmp_path / "p"
    first = run_cli("--data-dir", str(profile), "import-legacy", str(legacy), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["tasks_imported"] == facts["tasks"] and report["tasks_skipped"] == 0
    assert {"table", "id", "field", "value", "problem"} == set(report["warnings"][0])
    assert report["verification"]["ok"] is True
    second = json.loads(run_cli("--data-dir", str(profile), "import-legacy", str(legacy), "--json").stdout)
    assert (second["weeks_imported"], second["tasks_imported"], second["tasks_skipped"]) == (0, 0, facts["tasks"])
    text = run_cli("--data-dir", str(profile), "import-legacy", str(legacy))
    assert "Nothing new" in text.stdout and "match" in text.stdout


def test_import_legacy_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("hello")
    result = run_cli("--data-dir", str(tmp_path / "p"), "import-legacy", str(bad))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
