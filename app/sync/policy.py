"""Pure decisions of the sync loop (INGESTION_API.md §9, §10.7): what a response means and how long to wait.

No I/O and no clock of its own: callers pass ``now`` and a ``random.Random`` so tests can replay
every vector deterministically.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

INGEST_STREAMS = ("heartbeats", "timeline", "website_usage", "productivity", "wellness")
OTHER_STREAMS = INGEST_STREAMS[1:]
WORKLOG_STREAMS = ("weeks", "tasks")  # contract v1.2: sent every cycle, weeks first, then pulled back
ALL_STREAMS = (*INGEST_STREAMS, *WORKLOG_STREAMS, "screenshots")

BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
PAUSE_SECONDS = 3600.0
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 3600.0
RETRY_AFTER_DIGITS = 10  # a longer delay-seconds value is read as RETRY_AFTER_MAX without converting it
MAX_BODY_BYTES = 4 * 1024 * 1024


class Action(StrEnum):
    """Client reactions, named as in the contract vectors' ``client.action``."""

    COMMIT = "commit"
    MARK_SYNCED = "mark_synced"
    QUARANTINE_ITEM = "quarantine_item"
    HALVE_BATCH = "halve_batch"
    RETRY_AFTER = "retry_after"
    BACKOFF = "backoff"
    PAUSE_STREAM = "pause_stream"
    STOP_AUTH = "stop_auth"
    SHOW_IDENTITY = "show_identity"
    NONE = "none"


@dataclass(frozen=True)
class Decision:
    """What to do after a response: the action and, for 429/503, the server's Retry-After."""

    action: Action
    retry_after: float | None = None  # R in seconds for RETRY_AFTER (already clamped)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds clamped to 1–3600; an HTTP-date is converted; unreadable → None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # ASCII only: int("²") fails although "²".isdigit()
        # 11+ digits are beyond the clamp anyway; int() of 309+ digits overflows float, of 4,300+ raises
        seconds = RETRY_AFTER_MAX if len(text.lstrip("0")) > RETRY_AFTER_DIGITS else float(text)
    else:
        try:  # a hostile date (year 99999, a 20-digit hour) raises ValueError or OverflowError in the parser
            when = parsedate_to_datetime(text)
            if when is None or when.tzinfo is None:
                return None
            seconds = when.timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, seconds))


def decide(kind: str, status: int | None, *, error_code: str | None = None, retry_after: str | None = None,
           valid_2xx: bool = True, now: float = 0.0) -> Decision:
    """Map one outcome to an action (§9).

    ``kind`` is ``ingest``, ``screenshot``, ``me`` or ``health``; ``status`` None means a network
    error, timeout or TLS failure; ``valid_2xx`` is the §10.6 check of a 2xx answer.
    """
    if kind == "health":
        return Decision(Action.NONE)
    if status is None:
        return Decision(Action.BACKOFF)
    if 200 <= status < 300:
        if not valid_2xx:
            return Decision(Action.BACKOFF)
        if kind == "ingest":
            return Decision(Action.COMMIT)
        if kind == "screenshot":
            return Decision(Action.MARK_SYNCED)
        return Decision(Action.SHOW_IDENTITY)
    if 300 <= status < 400:
        return Decision(Action.PAUSE_STREAM)
    if status in (401, 403):
        return Decision(Action.STOP_AUTH)
    if status in (429, 503):
        seconds = parse_retry_after(retry_after, now)
        if seconds is not None:
            return Decision(Action.RETRY_AFTER, seconds)
        return Decision(Action.BACKOFF)
    if status == 408 or status >= 500:
        return Decision(Action.BACKOFF)
    if kind == "screenshot":
        if status in (409, 413):
            return Decision(Action.QUARANTINE_ITEM)
        if status == 422 and error_code in ("invalid_meta", "sha256_mismatch"):
            return Decision(Action.QUARANTINE_ITEM)
        return Decision(Action.PAUSE_STREAM)
    if status == 413 and kind == "ingest":  # only the server's own 413 says the batch is too big (§10.6)
        return Decision(Action.HALVE_BATCH if error_code in SERVER_413 else Action.PAUSE_STREAM)
    return Decision(Action.PAUSE_STREAM)


SERVER_413 = frozenset({"payload_too_large", "too_many_records"})  # a proxy's 413 page carries neither


def backoff_delay(failures: int, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(300, 2 × 2^n)], n = consecutive failures − 1."""
    n = max(0, failures - 1)
    return rng.uniform(0.0, backoff_bound(n))


def backoff_bound(n: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2.0 ** min(n, 32)))


def retry_after_delay(seconds: float, rng: random.Random) -> float:
    """Uniform in [R, 2R] so a fleet told the same R does not return all at once."""
    return rng.uniform(seconds, 2.0 * seconds)


def halved(size: int) -> int:
    return max(1, size // 2)


class ScreenshotBudget:
    """The client's copy of the server's per-key screenshot budget (contract v1.1, §8.2, §10.4):
    ``burst_bytes`` at most, refilled at ``bytes_per_second``; an upload costs its size, at least
    64 KiB. ``wait_for`` answers how long to wait before an upload of ``size`` bytes fits."""

    MIN_COST = 65_536
    OVERHEAD = 1_024  # meta part and multipart framing

    def __init__(self, clock: Callable[[], float], burst_bytes: float = 50 * 1_048_576,
                 bytes_per_second: float = 5 * 1_048_576) -> None:
        self.burst = burst_bytes
        self.rate = bytes_per_second
        self.clock = clock
        self.tokens = burst_bytes
        self.at = clock()

    def cost(self, size: int) -> float:
        return min(self.burst, max(self.MIN_COST, size + self.OVERHEAD))

    def wait_for(self, size: int) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        missing = self.cost(size) - self.tokens
        return max(0.0, missing / self.rate) if self.rate > 0 else 0.0

    def spend(self, size: int) -> None:
        self.wait_for(size)  # refill up to now
        self.tokens -= self.cost(size)
