"""Where a profile lives on disk.

Without ``--data-dir`` the platform's usual folders are used (platformdirs). With
``--data-dir DIR`` (or ``WFH_AGENT_DATA_DIR``) one folder holds the whole profile: database,
config, logs, screenshots, backups and the key file, so two profiles never touch each other.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from app.errors import DataFolderError, WfhError

APP_NAME = "wfh-agent"
DATA_DIR_ENV = "WFH_AGENT_DATA_DIR"


@dataclass(frozen=True)
class AppPaths:
    """Every file and folder of one profile (database, config, logs, screenshots, backups, key file)."""

    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / "wfh_agent.db"

    @property
    def config_path(self) -> Path:
        return self.config_dir / "config.json"

    @property
    def screenshots_dir(self) -> Path:
        return self.data_dir / "screenshots"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "api_key"

    @property
    def lock_name(self) -> str:
        """Name for the single-instance lock/socket, unique per profile."""
        import hashlib

        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:16]
        return f"wfh-agent-{digest}"

    def ensure(self) -> AppPaths:
        """Create the profile's folders and prove the data and config folders are writable.

        Raises ``DataFolderError`` with one line for the user ("the data folder X is read-only: …")
        instead of failing later inside SQLite or the log handler. The log folder may fail on its
        own: logging then falls back to stderr (app.logging_setup).
        """
        for folder in dict.fromkeys((self.data_dir, self.config_dir)):
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise DataFolderError(f"the data folder {folder} cannot be created: {exc.strerror or exc}") from exc
            try:
                with tempfile.TemporaryFile(dir=folder):
                    pass
            except OSError as exc:
                raise DataFolderError(f"the data folder {folder} is read-only: {exc.strerror or exc}") from exc
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            pass  # reported by setup_logging, which logs to stderr instead
        return self


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """``data_dir`` argument > ``WFH_AGENT_DATA_DIR`` > platformdirs defaults."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return AppPaths(data_dir=root, config_dir=root, log_dir=root / "logs")
    return AppPaths(
        data_dir=platformdirs.user_data_path(APP_NAME, appauthor=False),
        config_dir=platformdirs.user_config_path(APP_NAME, appauthor=False),
        log_dir=platformdirs.user_log_path(APP_NAME, appauthor=False),
    )


class PackageDataMissing(WfhError):
    """The install lacks ``app.migrations`` or ``app.resources`` (a broken wheel or bundle)."""


def package_data_dir(name: str) -> Path:
    """The folder of shipped data ``app.<name>`` (``migrations`` or ``resources``) as a real path.

    The repository keeps them at the top level; pyproject/setup.py map them into the package,
    so editable installs, wheels and the PyInstaller bundle all find them through
    ``importlib.resources`` instead of guessing a path beside the package.
    """
    try:
        root = resources.files(f"app.{name}")
    except ModuleNotFoundError as exc:
        raise PackageDataMissing(
            f"this installation of WFH Agent has no app.{name} (its {name}/ folder was not packaged): "
            "reinstall it from a complete wheel or bundle"
        ) from exc
    path = Path(str(root))
    if not path.is_dir():
        raise PackageDataMissing(f"app.{name} is not a folder on disk ({root}); install WFH Agent unzipped")
    return path
