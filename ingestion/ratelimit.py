"""Token buckets per key and per process (INGESTION_API.md §8.2): one for requests, one for
screenshot bytes (contract v1.1)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    """``capacity`` tokens, refilled at ``per_minute / 60`` per second; a request costs ``cost``
    tokens (1 for a request, its size for screenshot bytes)."""

    def __init__(self, per_minute: float, capacity: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(capacity)
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key_id -> (tokens, last refill)

    def take(self, key_id: int, cost: float = 1.0) -> int:
        """0 when the request may pass, else the whole seconds until ``cost`` tokens are there (>= 1)."""
        cost = min(cost, self.capacity)
        now = self.clock()
        tokens, last = self._buckets.get(key_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= cost:
            self._buckets[key_id] = (tokens - cost, now)
            return 0
        self._buckets[key_id] = (tokens, now)
        return max(1, math.ceil((cost - tokens) / self.rate))
