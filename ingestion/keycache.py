"""Verified keys of one worker, remembered for a few seconds (INGESTION_API.md §4.3).

Without it every request costs a database round trip for the key before its real work, which for
single-record requests was a third of their time. Only keys that passed verification are kept, by
the digest of the whole key: a wrong or unknown key is never found here and takes the uncached path,
so the cache tells an attacker nothing the answer does not. An entry is used for at most ``ttl``
seconds after the lookup that verified it, so a revocation takes effect within ``ttl`` seconds, and
never after the key's ``expires_at``. ``ttl`` 0 switches caching off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    fresh_until: float  # monotonic seconds
    expires_at: datetime | None  # the key's own expiry, as stored


class KeyCache(Generic[T]):
    """Digest -> identity for ``ttl`` seconds, at most ``max_entries`` (the oldest go first)."""

    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._wall = wall
        self._entries: dict[bytes, _Entry[T]] = {}

    def get(self, digest: bytes) -> T | None:
        """The identity verified for ``digest`` less than ``ttl`` seconds ago and not expired since."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self._clock() >= entry.fresh_until or (entry.expires_at is not None
                                                  and self._wall() >= entry.expires_at):
            del self._entries[digest]
            return None
        return entry.value

    def put(self, digest: bytes, value: T, expires_at: datetime | None) -> None:
        """Remember a key that just passed verification (a no-op when caching is off)."""
        if self.ttl <= 0:
            return
        self._entries.pop(digest, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[digest] = _Entry(value, self._clock() + self.ttl, expires_at)

    def __len__(self) -> int:
        return len(self._entries)
