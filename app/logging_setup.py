"""Rotating log files in the profile's log dir, with secrets redacted before anything is written.

Redaction happens on the handlers, not on a logger, so records from every library that
propagate to the root logger pass through it, and it is applied twice: a filter rewrites the
message (so other handlers added later see clean text too) and the formatter scrubs the final
line including tracebacks, whose ``repr`` of locals or request headers could carry a key.
API keys (INGESTION_API.md §4.1: ``wfh_<8-char prefix>_<secret>``) keep their public prefix, as the
contract asks logs to show; ``Authorization`` / ``X-Api-Key`` values and bearer tokens go
entirely.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from io import TextIOWrapper
from pathlib import Path

from app.paths import AppPaths

LOG_FILE = "wfh-agent.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_KEY = re.compile(r"\b(wfh_[A-Za-z0-9]{8}_)[A-Za-z0-9_-]{8,}")
_HEADER = re.compile(
    r"""(?ix)
    (["']?(?:authorization|x-api-key|api[_-]?key|proxy-authorization)["']?\s*[:=]\s*)  # name and separator
    (["']?)                                                                           # optional quote
    (?:bearer\s+|basic\s+|token\s+)?[^\s"',;}]+                                        # the value
    """
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
REDACTED = "***"


def redact(text: str) -> str:
    """Remove secrets from one string (idempotent)."""
    text = _KEY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Replaces the record's message by its redacted, fully formatted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what we can, redacted
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Scrubs the whole formatted line, tracebacks and ``stack_info`` included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotating file handler whose files are 0600 (logs mention window titles and hosts)."""

    def _open(self) -> TextIOWrapper:
        stream = super()._open()
        try:
            os.chmod(self.baseFilename, 0o600)
        except OSError:  # pragma: no cover - e.g. a filesystem without permissions
            pass
        return stream


def parse_level(value: object, default: int = logging.INFO) -> int:
    name = str(value or "").strip().upper()
    return getattr(logging, name) if name in LEVELS else default


def log_file(paths: AppPaths) -> Path:
    return paths.log_dir / LOG_FILE


def setup_logging(
    paths: AppPaths,
    level: object = "INFO",
    *,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
    console: bool = False,
) -> Path | None:
    """Send the root logger to a rotating file in ``paths.log_dir``; return the file's path, or
    None when that folder cannot be written and the log goes to stderr instead.

    Idempotent: handlers installed by an earlier call are replaced, other handlers are left
    alone (pytest's, for example) but get the redacting filter too.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_wfh_agent", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter(FORMAT)
    handlers: list[logging.Handler] = []
    failure: OSError | None = None
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(PrivateRotatingFileHandler(log_file(paths), maxBytes=max_bytes, backupCount=backup_count,
                                                   encoding="utf-8", delay=False))
    except OSError as exc:  # a read-only or missing log folder must not stop the app: log to stderr
        failure = exc
    if console or failure is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        handler._wfh_agent = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    set_level(level)
    logging.captureWarnings(True)
    if failure is not None:
        logging.getLogger(__name__).warning("the log folder %s cannot be written (%s): logging to stderr instead",
                                            paths.log_dir, failure.strerror or failure)
        return None
    return log_file(paths)


def set_level(level: object) -> None:
    """Apply ``general.log_level`` (call again when the setting changes)."""
    logging.getLogger().setLevel(parse_level(level))
