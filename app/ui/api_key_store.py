"""Where the ingestion API key is kept: the OS keyring when one works, else a 0600 file.

Never in config.json, logs or the UI: the settings dialog only writes a newly typed key and
shows whether one is stored. The file is ``<data dir>/api_key`` so profiles stay separate;
the keyring entry is keyed by the profile's unique name for the same reason.
"""

from __future__ import annotations

import logging
import os

from app.paths import AppPaths

log = logging.getLogger(__name__)

KEYRING_SERVICE = "wfh-agent"


def _usable_keyring() -> object | None:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring setup means "no keyring"
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


class ApiKeyStore:
    def __init__(self, paths: AppPaths, use_keyring: bool = True) -> None:
        self._paths = paths
        self._keyring = _usable_keyring() if use_keyring else None
        self._user = paths.lock_name

    @property
    def location(self) -> str:
        return "system keyring" if self._keyring is not None else f"file {self._paths.key_file} (mode 0600)"

    def load(self) -> str | None:
        if self._keyring is not None:
            try:
                value = self._keyring.get_password(KEYRING_SERVICE, self._user)  # type: ignore[attr-defined]
                if value:
                    return str(value)
            except Exception as exc:  # noqa: BLE001 - fall back to the file
                log.warning("keyring read failed (%s); using the key file", type(exc).__name__)
        try:
            return self._paths.key_file.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def has_key(self) -> bool:
        return bool(self.load())

    def save(self, key: str) -> None:
        key = key.strip()
        if not key:
            self.clear()
            return
        if self._keyring is not None:
            try:
                self._keyring.set_password(KEYRING_SERVICE, self._user, key)  # type: ignore[attr-defined]
                self._remove_file()
                return
            except Exception as exc:  # noqa: BLE001 - fall back to the file
                log.warning("keyring write failed (%s); using the key file", type(exc).__name__)
        path = self._paths.key_file
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def clear(self) -> None:
        if self._keyring is not None:
            try:
                self._keyring.delete_password(KEYRING_SERVICE, self._user)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001, S110 - nothing stored there
                pass
        self._remove_file()

    def _remove_file(self) -> None:
        try:
            self._paths.key_file.unlink()
        except FileNotFoundError:
            pass
