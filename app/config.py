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
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.logging_setup import LEVELS
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
        "screenshots_enabled": False,      # off until the user switches it on (consent text: "if enabled")
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
        "passive_inhibitors": True,        # no input while an app inhibits idle (video, call): likewise
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
    "display": {"currency": "auto"},      # ISO 4217 code of bonuses; auto = the locale's, else USD
}

# ISO 4217 codes in use (display.currency); "auto" takes the locale's.
CURRENCY_CODES = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL",
)

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


@dataclass(frozen=True)
class Rule:
    """What one setting may hold: a type, and a range or a list of choices."""

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    items: type = str  # for lists: the type of every item

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        names = {bool: "true or false", int: "a whole number", float: "a number", str: "text",
                 list: "a list of " + ("text" if self.items is str else "objects")}
        text = names[self.kind]
        if self.low is not None and self.high is not None:
            text += f" from {self.low:g} to {self.high:g}"
        return text + (" or null" if self.nullable else "")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.kind is bool or isinstance(value, bool):
            return self.kind is bool and isinstance(value, bool)
        if self.kind in (int, float):
            finite_float = isinstance(value, float) and math.isfinite(value)
            numeric = isinstance(value, int) or (self.kind is float and finite_float)
            return numeric and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)
        if self.kind is list:
            return isinstance(value, list) and all(isinstance(item, self.items) for item in value)
        if not isinstance(value, str):
            return False
        return not self.choices or value.upper() in {c.upper() for c in self.choices}


def _seconds(low: float, high: float) -> Rule:
    return Rule(float, low, high)


_DAY = 86_400
_BIG = 10**9
# Every leaf of DEFAULTS has a rule (tests/test_config.py checks); the UI's forms use the same ranges.
RULES: dict[str, Rule] = {
    "emp_id": Rule(int, 0, 2**31 - 1),
    "general.log_level": Rule(str, choices=LEVELS),
    "general.start_minimized": Rule(bool),
    "general.autostart": Rule(bool),
    "general.theme": Rule(str, choices=("system", "light", "dark")),
    "ingestion.enabled": Rule(bool),
    "ingestion.mode": Rule(str, choices=("api", "postgres")),
    "ingestion.batch_size": Rule(int, 1, 1000),  # the contract's limit per request
    "ingestion.api.base_url": Rule(str),
    "ingestion.api.auth_header": Rule(str),
    "ingestion.api.auth_env": Rule(str),
    "ingestion.api.verify_tls": Rule(bool),
    "ingestion.api.ca_bundle": Rule(str, nullable=True),
    "ingestion.api.connect_timeout_seconds": _seconds(0.1, 300),
    "ingestion.api.read_timeout_seconds": _seconds(0.1, 3600),
    "ingestion.api.gzip_min_bytes": Rule(int, 0, _BIG),
    "ingestion.sync.heartbeats_seconds": _seconds(1, _DAY),
    "ingestion.sync.other_seconds": _seconds(1, _DAY),
    "ingestion.queue.max_screenshot_mb": Rule(int, 0, _BIG),
    "ingestion.queue.max_total_mb": Rule(int, 0, _BIG),
    "ingestion.queue.min_free_disk_mb": Rule(int, 0, _BIG),
    "ingestion.queue.keep_days": Rule(int, 1, 36_500),
    "ingestion.db.url": Rule(str),
    "ingestion.db.url_env": Rule(str),
    "ingestion.db.schema": Rule(str),
    "monitoring.enabled": Rule(bool),
    "monitoring.sample_interval": _seconds(0.2, 3600),
    "monitoring.idle_threshold": _seconds(1, _DAY),
    "monitoring.screenshot_interval": _seconds(5, 7 * _DAY),
    "monitoring.screenshots_enabled": Rule(bool),
    "monitoring.passive_media": Rule(bool),
    "monitoring.passive_inhibitors": Rule(bool),
    "monitoring.screenshot_jitter": Rule(float, 0, 0.9),
    "monitoring.screenshot_monitors": Rule(str, choices=("primary", "all")),
    "monitoring.screenshot_format": Rule(str, choices=("auto", "png", "webp", "jpeg")),
    "monitoring.screenshot_quality": Rule(int, 1, 100),
    "monitoring.screenshot_blur": Rule(float, 0, 100),
    "monitoring.screenshot_downscale": Rule(float, 0.1, 1.0),
    "monitoring.screenshot_max_disk_mb": Rule(int, 0, _BIG),
    "monitoring.aggregate_interval": _seconds(1, _DAY),
    "monitoring.workday_hours": Rule(float, 0.5, 24),
    "monitoring.exclusions.apps": Rule(list),
    "monitoring.exclusions.titles": Rule(list),
    "monitoring.rules": Rule(list, nullable=True, items=dict),  # each rule object: app.monitor.categorize
    "retention.heartbeats_days": Rule(int, 0, 36_500),  # 0 switches a rule off
    "retention.screenshots_days": Rule(int, 0, 36_500),
    "retention.sync_log_days": Rule(int, 0, 36_500),
    "retention.agent_metrics_days": Rule(int, 0, 36_500),
    "backups.keep": Rule(int, 1, 1000),
    "display.currency": Rule(str, choices=("auto", *CURRENCY_CODES)),
}


def _lookup(data: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _assign(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = data.get(part)
        if not isinstance(child, dict):
            child = {}
            data[part] = child
        data = child
    data[parts[-1]] = copy.deepcopy(value)


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

    ``problems`` lists what went wrong while loading (a broken file kept aside, a bad env value,
    a value outside its ``RULES`` — reported once, logged, and replaced by its default), for
    Diagnostics and the CLI to show. Values set later through ``set()`` come from validated forms.
    """

    def __init__(self, paths: AppPaths, environ: Mapping[str, str] | None = None) -> None:
        self.paths = paths
        self.problems: list[str] = []
        self._file_data: dict[str, Any] = {}
        self._environ = dict(os.environ if environ is None else environ)
        self._invalid: set[str] = set()
        self._broken_blocks: set[str] = set()
        self._load_file()
        self._data = self._merged()
        self._validate()

    # ---- reading -----------------------------------------------------------------------
    def get(self, dotted: str, default: Any = None) -> Any:
        found, value = _lookup(self._data, dotted)
        return copy.deepcopy(value) if found else default

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
        _assign(self._file_data, dotted, value)
        self._invalid = {p for p in self._invalid if p != dotted and not p.startswith(dotted + ".")}
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

    def _validate(self) -> None:
        env_names = {path: name for name, (path, _) in ENV_OVERRIDES.items() if name in self._environ}
        for dotted, rule in RULES.items():
            found, value = _lookup(self._data, dotted)
            if found and rule.accepts(value):
                continue
            if not found:  # a block above it is not an object (``"ingestion": "x"``): report the block once
                block = self._broken_block(dotted)
                self._invalid.update(path for path in RULES if path == block or path.startswith(block + "."))
                continue
            source = f"environment variable {env_names[dotted]}" if dotted in env_names else self.paths.config_path.name
            default = _lookup(DEFAULTS, dotted)[1]
            self._report(dotted, value, source, rule.describe(), f"the default {default!r} is used")
            self._invalid.add(dotted)
        if self._invalid:
            self._data = self._merged()

    def _broken_block(self, dotted: str) -> str:
        parts = dotted.split(".")
        for end in range(1, len(parts)):
            block = ".".join(parts[:end])
            found, value = _lookup(self._data, block)
            if found and not isinstance(value, dict):
                if block not in self._broken_blocks:
                    self._broken_blocks.add(block)
                    self._report(block, value, self.paths.config_path.name, "an object", "its defaults are used")
                return block
        return dotted

    def _report(self, dotted: str, value: Any, source: str, expected: str, fallback: str) -> None:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        problem = f"setting {dotted} = {shown} from {source} is not valid (expected {expected}); {fallback}"
        self.problems.append(problem)
        log.warning("%s", problem)

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
            _assign(data, dotted, value)
        for dotted in self._invalid:
            _assign(data, dotted, _lookup(DEFAULTS, dotted)[1])
        return data
