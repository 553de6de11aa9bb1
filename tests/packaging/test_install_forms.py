"""The forms people install, checked as they ship: the wheel in a fresh venv, the server alone.

- The wheel is built from the repository (``pip wheel``), installed with ``--no-deps`` into a fresh
  venv whose third-party packages come from the test venv's site-packages (a ``.pth`` line: same
  pinned versions, and no 600 MB PySide6 copy per run). The test venv holds ``app`` only as an
  editable finder, which a ``.pth``-added folder never activates, so every ``app`` file, migration
  and icon the checks use comes from the wheel (asserted).
- ``pip install ./ingestion`` goes into another fresh venv with its real dependency resolution:
  the point is that nothing desktop (Qt, psutil, mss) is pulled in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pg import throwaway_database

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_ONLY = ("pyside6", "shiboken6", "psutil", "mss", "python-xlib", "keyring")

pytestmark = pytest.mark.packaging


def _run(command: list[str | Path]) -> subprocess.CompletedProcess[str]:
    """Run from ``/`` so the checkout is never on ``sys.path``; fail with the output."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("WFH_AGENT_DATA_DIR", None)
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=600, cwd="/")
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _fresh_venv(path: Path) -> Path:
    """A venv without its own pip (fast); packages go in with ``pip --python``."""
    _run([sys.executable, "-m", "venv", "--without-pip", path])
    return path / "bin" / "python"


def _pip(target: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pip", "--python", target, "install", "--quiet", *args])


def _site_packages(python: Path) -> Path:
    done = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    return Path(done.stdout.strip())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, ROOT])
    (built,) = out.glob("wfh_agent-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    python = _fresh_venv(tmp_path_factory.mktemp("wheel-venv") / "venv")
    _pip(python, "--no-deps", wheel)
    (_site_packages(python) / "test-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    yield python


def test_wheel_contains_migrations_and_icons_inside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT) for p in (*ROOT.glob("migrations/*.sql"), *ROOT.glob("resources/icons/*/*"),
                                             *ROOT.glob("resources/desktop/*/*"))]
    assert shipped, "nothing to ship?"
    missing = [str(p) for p in shipped if f"app/{p.as_posix()}" not in names]
    assert not missing, f"not in the wheel under app/: {missing}"
    assert not {n.split("/")[0] for n in names} & {"migrations", "resources", "tests"}


def test_installed_wheel_migrates_and_starts(wheel_venv: Path, tmp_path: Path) -> None:
    where = _run([wheel_venv, "-c", "import app, app.paths as p; print(app.__file__); "
                                   "print(p.package_data_dir('migrations')); print(p.package_data_dir('resources'))"])
    site = _site_packages(wheel_venv)
    assert all(Path(line).is_relative_to(site) for line in where.stdout.split()), where.stdout

    agent = wheel_venv.parent / "wfh-agent"
    info = json.loads(_run([agent, "--data-dir", tmp_path / "p", "db-info", "--json"]).stdout)
    assert info["schema_version"] == len(list(ROOT.glob("migrations/*.sql")))
    assert info["integrity"] == "ok" and "weeks" in info["tables"]

    smoke = _run([agent, "--data-dir", tmp_path / "smoke", "--smoke-test"])
    assert "smoke test: ok" in smoke.stdout


def _root_server_extra() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["server"]


def _build_output(parts: tuple[str, ...]) -> bool:
    return parts[0] == "build" or "__pycache__" in parts or parts[0].endswith(".egg-info")


def test_server_distribution_matches_the_root_project() -> None:
    server = tomllib.loads((ROOT / "ingestion" / "pyproject.toml").read_text())["project"]
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(server["dependencies"]) == sorted(_root_server_extra()), \
        "ingestion/pyproject.toml's dependencies and the root [server] extra must list the same packages"
    assert server["version"] == root["version"]
    assert server["scripts"]["wfh-ingest"] == root["scripts"]["wfh-ingest"]
    listed = tomllib.loads((ROOT / "ingestion" / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    folders = set()
    for path in (ROOT / "ingestion").rglob("*"):
        parts = path.relative_to(ROOT / "ingestion").parts
        if path.is_file() and not _build_output(parts):
            folders.add(".".join(("ingestion", *parts[:-1])))
    missing = folders - set(listed)
    assert not missing, f"add to ingestion/pyproject.toml [tool.setuptools] packages: {missing}"


def test_server_installs_alone_without_desktop_packages_and_migrates(tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv")
    source = tmp_path / "checkout" / "ingestion"  # pip builds in the tree: keep build/ out of the repository
    shutil.copytree(ROOT / "ingestion", source, ignore=lambda _d, names: [
        n for n in names if _build_output((n,))])
    _pip(python, source)
    listed = json.loads(_run([sys.executable, "-m", "pip", "--python", python, "list", "--format", "json"]).stdout)
    installed = {p["name"].lower() for p in listed}
    assert "wfh-ingestion" in installed
    assert not installed & set(DESKTOP_ONLY), installed & set(DESKTOP_ONLY)
    assert not [name for name in installed if "qt" in name or "pyside" in name]
    # every server module imports from the installed copy, none reaches for the desktop app
    imported = _run([python, "-c", "import importlib, pkgutil, sys, ingestion\n"
                                   "for m in pkgutil.walk_packages(ingestion.__path__, 'ingestion.'):\n"
                                   "    importlib.import_module(m.name)\n"
                                   "print(ingestion.__file__, ingestion.__version__, 'app' in sys.modules)"])
    where, version, app_loaded = imported.stdout.split()
    assert Path(where).is_relative_to(_site_packages(python)) and app_loaded == "False"
    assert version == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    with throwaway_database("wfh_pkg", migrated=False) as url:
        done = subprocess.run([str(python.parent / "wfh-ingest"), "migrate"], capture_output=True, text=True,
                              env=dict(os.environ, WFH_INGEST_DATABASE_URL=url), timeout=120, cwd="/")
        assert done.returncode == 0, done.stderr
        assert "0001_initial" in done.stderr
        import psycopg

        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = 'employee_monitor'").fetchone()
        assert tables is not None and tables[0] >= 6
