"""Server settings from the environment (INGESTION_API.md §11.1); read once per process."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

MIB = 1_048_576
KIB = 1_024


class ConfigError(ValueError):
    """A setting is missing or malformed; the CLI turns it into exit code 1."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not value > 0:
        raise ConfigError(f"{name} must be positive")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    """A duration in seconds, 0 allowed (it switches the feature off)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0 <= value <= maximum:
        raise ConfigError(f"{name} must be between 0 and {maximum:g} seconds")
    return value
POOL_MODES = ("session", "transaction")


def _prepare_threshold(env: Mapping[str, str], pool_mode: str) -> int | None:
    """``WFH_INGEST_DB_PREPARE_THRESHOLD``: an integer, or ``none`` to never prepare. The default is
    psycopg's 5 on direct connections and none behind a transaction pooler, where a statement prepared
    on one server connection does not exist on the next (PgBouncer before 1.21)."""
    raw = env.get("WFH_INGEST_DB_PREPARE_THRESHOLD", "").strip().lower()
    if not raw:
        return None if pool_mode == "transaction" else 5
    if raw in ("none", "off"):
        return None
    return _int(env, "WFH_INGEST_DB_PREPARE_THRESHOLD", 5)


def _forwarded_allow_ips(env: Mapping[str, str]) -> str:
    """``WFH_INGEST_FORWARDED_ALLOW_IPS``: the proxies whose ``X-Forwarded-For``/``-Proto`` are believed
    (comma-separated addresses or networks; default 127.0.0.1). Behind a proxy on another host, without
    it every client has the proxy's address: one login throttle for all, and no ``Secure`` cookie."""
    raw = env.get("WFH_INGEST_FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1"
    entries = [part.strip() for part in raw.split(",") if part.strip()]
    for entry in entries:
        if entry == "*":
            raise ConfigError("WFH_INGEST_FORWARDED_ALLOW_IPS: '*' would let every client choose its own address;"
                              " name the proxies' addresses or networks")
        try:
            ipaddress.ip_network(entry)
        except ValueError:
            raise ConfigError(f"WFH_INGEST_FORWARDED_ALLOW_IPS: {entry[:60]!r} is no IP address or network") from None
    return ",".join(entries)


@dataclass(frozen=True)
class Settings:
    """The server's settings, from ``WFH_INGEST_*`` environment variables with checked bounds."""

    database_url: str
    db_schema: str = "employee_monitor"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    pool_min: int = 1
    pool_max: int = 10
    screenshot_dir: str = "/var/lib/wfh-ingestion/screenshots"
    rate_per_minute: float = 60.0
    rate_burst: int = 20
    log_level: str = "info"
    max_body_bytes: int = 4 * MIB
    max_decoded_bytes: int = 4 * MIB
    max_records: int = 1000
    max_screenshot_bytes: int = 10 * MIB
    max_screenshot_request_bytes: int = 10 * MIB + 64 * KIB
    max_meta_bytes: int = 16 * KIB
    # Contract v1.1 (§8.2): screenshots spend their own per-key byte budget, not request tokens.
    screenshot_burst_bytes: int = 50 * MIB
    screenshot_bytes_per_second: int = 5 * MIB
    pool_wait_seconds: float = 5.0
    statement_timeout_ms: int = 10_000
    # A verified key is not looked up again for this long (§4.3): revocation takes effect within it.
    key_cache_seconds: float = 10.0
    # Each worker compacts the reports' rollup this often (0: never; reads are exact without it).
    rollup_seconds: float = 30.0
    # Fleet (docs/SCALING.md): a read replica for the reports and dashboard, and PgBouncer in between.
    read_database_url: str | None = None
    # "session": the server sets search_path/statement_timeout on each connection it opens;
    # "transaction" (PgBouncer pool_mode=transaction): no session state at all, the role carries them.
    db_pool_mode: str = "session"
    # psycopg prepares a statement after this many executions; None never (PgBouncer < 1.21).
    prepare_threshold: int | None = 5
    forwarded_allow_ips: str = "127.0.0.1"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("WFH_INGEST_DATABASE_URL", "").strip()
        if not url:
            raise ConfigError("WFH_INGEST_DATABASE_URL is required")
        schema = env.get("WFH_INGEST_DB_SCHEMA", "").strip() or "employee_monitor"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ConfigError("WFH_INGEST_DB_SCHEMA must be a plain lower-case identifier")
        pool_min = _int(env, "WFH_INGEST_DB_POOL_MIN", 1)
        pool_max = _int(env, "WFH_INGEST_DB_POOL_MAX", 10, minimum=1)
        if pool_min > pool_max:
            raise ConfigError("WFH_INGEST_DB_POOL_MIN must not exceed WFH_INGEST_DB_POOL_MAX")
        pool_mode = (env.get("WFH_INGEST_DB_POOL_MODE", "").strip() or "session").lower()
        if pool_mode not in POOL_MODES:
            raise ConfigError(f"WFH_INGEST_DB_POOL_MODE must be one of {', '.join(POOL_MODES)}, got {pool_mode!r}")
        return cls(
            read_database_url=env.get("WFH_INGEST_READ_DATABASE_URL", "").strip() or None,
            db_pool_mode=pool_mode,
            prepare_threshold=_prepare_threshold(env, pool_mode),
            database_url=url,
            db_schema=schema,
            host=env.get("WFH_INGEST_HOST", "").strip() or "127.0.0.1",
            port=_int(env, "WFH_INGEST_PORT", 8080, minimum=1),
            workers=_int(env, "WFH_INGEST_WORKERS", 2, minimum=1),
            pool_min=pool_min,
            pool_max=pool_max,
            screenshot_dir=env.get("WFH_INGEST_SCREENSHOT_DIR", "").strip()
            or "/var/lib/wfh-ingestion/screenshots",
            rate_per_minute=_float(env, "WFH_INGEST_RATE_PER_MINUTE", 60.0),
            rate_burst=_int(env, "WFH_INGEST_RATE_BURST", 20, minimum=1),
            log_level=(env.get("WFH_INGEST_LOG_LEVEL", "").strip() or "info").lower(),
            max_body_bytes=_int(env, "WFH_INGEST_MAX_BODY_BYTES", 4 * MIB, minimum=1),
            max_decoded_bytes=_int(env, "WFH_INGEST_MAX_DECODED_BYTES", 4 * MIB, minimum=1),
            max_screenshot_bytes=_int(env, "WFH_INGEST_MAX_SCREENSHOT_BYTES", 10 * MIB, minimum=1),
            screenshot_burst_bytes=_int(env, "WFH_INGEST_SCREENSHOT_BURST_BYTES", 50 * MIB, minimum=11 * MIB),
            screenshot_bytes_per_second=_int(env, "WFH_INGEST_SCREENSHOT_BYTES_PER_SECOND", 5 * MIB, minimum=1),
            key_cache_seconds=_seconds(env, "WFH_INGEST_KEY_CACHE_SECONDS", 10.0, maximum=60.0),
            rollup_seconds=_seconds(env, "WFH_INGEST_ROLLUP_SECONDS", 30.0, maximum=3600.0),
            forwarded_allow_ips=_forwarded_allow_ips(env),
        )
