"""Where the API key lives on this device (§10.2): the key entered in Settings (OS keyring, else a 0600
file ``api_key`` in the data dir) first, then the environment variable named by ``api.auth_env``.

The key never enters config.json, a log line, an exception text or ``repr``; only its 8-character
prefix is ever shown.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.config import Settings
from app.paths import AppPaths

log = logging.getLogger(__name__)

SERVICE = "wfh-agent"
ACCOUNT = "ingestion-api-key"
DEFAULT_ENV = "WFH_AGENT_API_KEY"
KEY_PATTERN = re.compile(r"wfh_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{32,128}")


def key_prefix(key: str | None) -> str:
    """The public 8-character prefix, or ``"?"`` for something that is not a v1 key."""
    if key and KEY_PATTERN.fullmatch(key):
        return key[4:12]
    return "?"


def valid_key(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def usable_keyring() -> Any | None:
    """The keyring backend if a real one exists (not the ``fail``/``null`` placeholders), else None."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # pragma: no cover - keyring missing or broken
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # pragma: no cover
        return None
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        return None
    try:
        if float(getattr(backend, "priority", 0)) <= 0:
            return None
    except Exception:  # pragma: no cover - priority raising means "not usable"
        return None
    return backend


class KeyStore:
    """Reads and stores the key for one profile; ``backend`` may be injected (tests)."""

    def __init__(self, key_file: Path, *, auth_env: str = DEFAULT_ENV, environ: Mapping[str, str] | None = None,
                 backend: Any | None = "auto", extra_accounts: tuple[str, ...] = ()) -> None:
        self.key_file = Path(key_file)
        self.extra_accounts = extra_accounts  # read-only fallbacks (the settings dialog's per-profile entry)
        self.auth_env = auth_env or DEFAULT_ENV
        self._environ = environ
        self._backend = usable_keyring() if backend == "auto" else backend

    def __repr__(self) -> str:
        return f"KeyStore(file={self.key_file}, keyring={'yes' if self._backend else 'no'})"

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def _stored(self) -> str | None:
        if self._backend is not None:
            for account in (ACCOUNT, *self.extra_accounts):
                try:
                    value = self._backend.get_password(SERVICE, account)
                except Exception as exc:
                    log.warning("keyring read failed (%s); trying the key file", type(exc).__name__)
                    break
                if value:
                    return str(value).strip()
        try:
            text = self.key_file.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, PermissionError):
            return None
        return text or None

    def get(self) -> str | None:
        """The key to send: the stored (Settings) key, else the environment variable."""
        stored = self._stored()
        if stored:
            return stored
        env = self.environ.get(self.auth_env, "").strip()
        return env or None

    def source(self) -> str:
        if self._stored():
            return "keyring" if self._backend is not None and self._in_keyring() else "file"
        return "env" if self.environ.get(self.auth_env, "").strip() else "none"

    def _in_keyring(self) -> bool:
        if self._backend is None:
            return False
        try:
            return any(self._backend.get_password(SERVICE, a) for a in (ACCOUNT, *self.extra_accounts))
        except Exception:
            return False

    def set(self, key: str) -> str:
        """Store a key entered in Settings; returns ``keyring`` or ``file``. Raises ValueError if malformed."""
        key = key.strip()
        if not valid_key(key):
            raise ValueError("this is not a WFH Agent API key (expected wfh_XXXXXXXX_…)")
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, ACCOUNT, key)
            except Exception as exc:
                log.warning("keyring write failed (%s); using the 0600 key file", type(exc).__name__)
            else:
                self._remove_file()
                log.info("API key %s… stored in the OS keyring", key_prefix(key))
                return "keyring"
        self._write_file(key)
        log.info("API key %s… stored in %s (0600)", key_prefix(key), self.key_file)
        return "file"

    def clear(self) -> None:
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, ACCOUNT)
            except Exception:  # noqa: S110 - absent entry or locked keyring: nothing to delete
                pass
        self._remove_file()

    def _write_file(self, key: str) -> None:
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.key_file.with_name(self.key_file.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.key_file)

    def _remove_file(self) -> None:
        try:
            self.key_file.unlink()
        except FileNotFoundError:
            pass


def for_profile(paths: AppPaths, settings: Settings, environ: Mapping[str, str] | None = None,
                backend: Any | None = "auto") -> KeyStore:
    """The profile's key store; also reads the settings dialog's per-profile keyring entry (app.ui.api_key_store)."""
    return KeyStore(paths.key_file, auth_env=settings.get("ingestion.api.auth_env") or DEFAULT_ENV,
                    environ=environ, backend=backend, extra_accounts=(paths.lock_name,))
