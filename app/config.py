"""Settings: built-in defaults < ``config.json`` in the profile < environment variables.

The file keeps the seed-001 shape (``emp_id``, ``ingestion{enabled, mode, api{…}, db{…},
batch_size}``) and adds blocks for the other parts of the app. A config.json that cannot be
read is moved aside (``config.json.broken-<time>``), reported, and never overwritten.
Secrets (the API key) are never stored here.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from app.paths import AppPaths

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "emp_id": 0,
    "general": {
        "log_level": "INFO",
        "start_minimized": False,
        "autostart": False,
        "theme": "system",
    },
    "ingestion": {
        "enabled": True,
        "mode": "api",
        "batch_size": 200,
        "api": {
            "base_url": "",
            "auth_header": "X-Api-Key",
            "auth_env": "WFH_AGENT_API_KEY",
            "verify_tls": True,
            "ca_bundle": None,
            "connect_timeout_seconds": 5,
            "read_timeout_seconds": 30,
            "gzip_min_bytes": 4096,
        },
        "sync": {"heartbeats_seconds": 300, "other_seconds": 900},
        "queue": {"max_screenshot_mb": 1024, "max_total_mb": 2048, "min_free_disk_mb": 1024, "keep_days": 30},
        "db": {"url": "", "url_env": "", "schema": "employee_monitor"},
    },
    "monitoring": {
        "enabled": True,
        "sample_interval": 5,
        "idle_threshold": 180,
        "screenshot_interval": 600,
        "screenshots_enabled": True,
        "screenshot_jitter": 0.2,          # ± fraction of screenshot_interval
        "screenshot_monitors": "primary",  # primary | all
        "screenshot_format": "auto",       # auto (PNG for text-heavy screens, else WebP) | png | webp | jpeg
        "screenshot_quality": 70,          # WebP/JPEG quality 1-100
        "screenshot_blur": 0,              # Gaussian blur radius in pixels, 0 = off
        "screenshot_downscale": 1.0,       # scale factor 0.1-1.0
        "screenshot_max_disk_mb": 1024,
        "aggregate_interval": 60,          # seconds between aggregate recomputations
        "workday_hours": 8,
        "passive_media": True,             # no input while media plays (MPRIS): active, marked passive
        "exclusions": {
            "apps": [r"^(keepassxc|keepass|1password|bitwarden|enpass)(\.exe)?$"],
            "titles": [r"(?i)private browsing|incognito|inprivate"],
        },
        "rules": None,                     # None = the shipped defaults (app.monitor.categorize)
    },
    "retention": {
        "heartbeats_days": 90,
        "screenshots_days": 30,
        "sync_log_days": 14,
        "agent_metrics_days": 30,
    },
    "backups": {"keep": 7},
}

# Environment variables that override one setting each: name -> (dotted path, type).
ENV_OVERRIDES: dict[str, tuple[str, type]] = {
    "WFH_AGENT_EMP_ID": ("emp_id", int),
    "WFH_AGENT_SERVER_URL": ("ingestion.api.base_url", str),
    "WFH_AGENT_INGESTION_MODE": ("ingestion.mode", str),
    "WFH_AGENT_INGESTION_ENABLED": ("ingestion.enabled", bool),
    "WFH_AGENT_BATCH_SIZE": ("ingestion.batch_size", int),
    "WFH_AGENT_LOG_LEVEL": ("general.log_level", str),
    "WFH_AGENT_SAMPLE_INTERVAL": ("monitoring.sample_interval", int),
}


def default_of(dotted: str) -> Any:
    """The built-in default of a setting; a name that has none is a bug (``KeyError``)."""
    node: Any = DEFAULTS
    for part in dotted.split("."):
        node = node[part]
    return copy.deepcopy(node)


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``base`` with ``override`` merged in (nested dicts merge, others replace)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _parse_env(raw: str, kind: type) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true/false, got {raw!r}")
    return kind(raw)


class Settings:
    """The merged settings of one profile, read with dotted paths: ``settings.get("ingestion.mode")``.

    ``problems`` lists what went wrong while loading (a broken file kept aside, a bad env value),
    for the UI and the CLI to show.
    """

    def __init__(self, paths: AppPaths, environ: Mapping[str, str] | None = None) -> None:
        self.paths = paths
        self.problems: list[str] = []
        self._file_data: dict[str, Any] = {}
        self._environ = dict(os.environ if environ is None else environ)
        self._load_file()
        self._data = self._merged()

    # ---- reading -----------------------------------------------------------------------
    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return copy.deepcopy(node)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    # Typed reads: a missing or wrongly typed value (a hand-edited config.json) reads as the built-in default,
    # so call sites never repeat a default that ``DEFAULTS`` already holds.
    def integer(self, dotted: str, *, minimum: int | None = None) -> int:
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            return int(default_of(dotted))
        return value

    def number(self, dotted: str) -> float:
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return float(default_of(dotted))
        return float(value)

    def flag(self, dotted: str) -> bool:
        value = self.get(dotted)
        return value if isinstance(value, bool) else bool(default_of(dotted))

    def text(self, dotted: str) -> str:
        value = self.get(dotted)
        return value if isinstance(value, str) else str(default_of(dotted) or "")

    def env_overridden(self) -> set[str]:
        """Dotted paths whose value currently comes from the environment."""
        return {path for name, (path, _) in ENV_OVERRIDES.items() if name in self._environ}

    # ---- writing -----------------------------------------------------------------------
    def set(self, dotted: str, value: Any) -> None:
        """Change a value in the file layer (call ``save()`` to persist)."""
        node = self._file_data
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = copy.deepcopy(value)
        self._data = self._merged()

    def save(self) -> None:
        """Write the file layer atomically with mode 0600 (never the env layer, never secrets)."""
        path = self.paths.config_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self._file_data, handle, indent=2, ensure_ascii=False, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)

    # ---- internals ---------------------------------------------------------------------
    def _load_file(self) -> None:
        path = self.paths.config_path
        if not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("the top level is not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            aside = self._keep_aside(path)
            self.problems.append(
                f"{path.name} could not be read ({exc}); it was kept as {aside.name} and defaults are used."
            )
            log.warning("config file unreadable: %s; kept as %s", exc, aside)
            return
        self._file_data = data

    @staticmethod
    def _keep_aside(path: Path) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.broken-{stamp}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
        os.replace(path, aside)
        return aside

    def _merged(self) -> dict[str, Any]:
        data = deep_merge(DEFAULTS, self._file_data)
        for name, (dotted, kind) in ENV_OVERRIDES.items():
            raw = self._environ.get(name)
            if raw is None:
                continue
            try:
                value = _parse_env(raw, kind)
            except ValueError as exc:
                problem = f"environment variable {name} ignored: {exc}"
                if problem not in self.problems:
                    self.problems.append(problem)
                continue
            node = data
            parts = dotted.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        batch = data["ingestion"].get("batch_size", 200)
        if isinstance(batch, int) and not isinstance(batch, bool):
            data["ingestion"]["batch_size"] = min(1000, max(1, batch))
        return data
