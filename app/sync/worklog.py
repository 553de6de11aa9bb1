"""Receiving weeks and tasks from the server (contract v1.2 §5.7): paging by cursor, checking each record,
applying pages (``app.storage.worklog_apply``). Shared by each sync cycle and ``restore-from-server``.

What the server sends is checked like any other input before it touches the database: a record of the wrong
shape is skipped and named in the result (its page still advances the cursor, so one bad record never blocks
the stream), never half-applied. Its clocks too: a stamp more than a day ahead would win every comparison and
lend every later local edit a stamp the server refuses. Nor may its cursors keep a pull going for ever.
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.config import Settings
from app.errors import ConfigError, WfhError
from app.storage import kv
from app.storage.worklog_apply import ApplyReport, apply_page, cursor_key, profile_is_empty
from app.sync.client import ApiClient, Outcome, client_from, valid_page
from app.sync.keystore import KeyStore
from app.sync.outbox import FIELDS, utc_iso
from app.sync.policy import WORKLOG_STREAMS, parse_retry_after

PULL_LIMIT = 1000  # per page in a sync cycle (usually a handful of changes)
RESTORE_LIMIT = 5000  # the contract's maximum: a restore of 100,000 tasks takes 20 pages
SYNC_PAGES = 20  # pages per stream in one sync cycle; the next cycle reads on from the saved cursor
RESTORE_PAGES = 1000  # pages per stream in a restore: 5,000,000 records
# A received sync clock later than this device's now + a day is refused. The server itself accepts none past its
# own now + 300 s (§6.9), so a real one is ahead of ours only by our clock's lag: a slower device must not skip
# real versions (its cursor moves past them), yet 9999 or 2999 stamps from a broken server are kept out.
FUTURE_SECONDS = 86_400
MAX_TEXT = 10_000
MAX_SHORT = 40
INT4 = 2_147_483_647
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_CLOCK = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"^[^\x00-\x1f\x7f]{1,100}\Z")
_SHORT = {"date_audited", "time_begin", "time_end", "created_at"}
_RANGES = {"week_start_day": (0, 6), "week_end_day": (0, 6), "week_start_hour": (0, 23), "week_end_hour": (0, 23),
           "score": (-INT4 - 1, INT4)}
_NULLABLE = {"start_date", "attempt_id", "project_id", "project_name", "operation_id", "feedback", "locale",
             "date_audited", "time_begin", "time_end", "score", "deleted_at"}

Fetch = Callable[[str, str | None, int], Outcome]


class PullError(Exception):
    """A page request did not get a valid 200: ``outcome`` says what came back instead."""

    def __init__(self, stream: str, outcome: Outcome) -> None:
        super().__init__(f"{stream}: {outcome.short()}")
        self.stream = stream
        self.outcome = outcome


@dataclass
class PullResult:
    """Everything one pull applied, per stream counts of records read, and the records it had to skip."""

    report: ApplyReport = field(default_factory=ApplyReport)
    received: dict[str, int] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)
    pages: int = 0
    reset: list[str] = field(default_factory=list)  # streams whose cursor the server refused (read again next time)
    unfinished: list[str] = field(default_factory=list)  # streams stopped at the page cap (read on next time)


def latest_clock(now: float | None = None) -> str:
    """The latest acceptable sync clock, now + a day, as text: valid stamps compare as their times do."""
    return utc_iso(datetime.fromtimestamp((time.time() if now is None else now) + FUTURE_SECONDS, UTC))


def _clock_problem(value: str, latest: str) -> str | None:
    """A stamp of the right format that is not a real time, or is later than ``latest``: the triggers' next
    millisecond of it is NULL or out of the server's bounds, and it would beat every local version."""
    try:
        datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]),
                 int(value[17:19]))
    except ValueError:
        return "not a calendar time"
    return "more than a day in the future" if value > latest else None


def record_problem(stream: str, record: Mapping[str, Any], latest: str | None = None) -> str | None:
    """Why a received record cannot be applied (``"field: message"``), or None when it fits §6.9/§6.10.

    ``latest`` is ``latest_clock()`` (taken once per page by the pull: a restore checks 100,000 records)."""
    for name, nullable, check in _CHECKS[stream]:
        value = record.get(name)
        if value is None:
            if nullable:
                continue
            return f"{name}: missing"
        problem = check(value)
        if problem:
            return f"{name}: {problem}"
    if stream == "weeks":
        aliases = record.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and _UUID.match(a) for a in aliases):
            return "aliases: must be a list of UUIDs"
        if not record["week_label"].strip():
            return "week_label: empty"
    device = record.get("device")
    if device is not None and (not isinstance(device, str) or len(device) > 200 or _CONTROL.search(device)):
        return "device: must be a short text"
    latest = latest or latest_clock()
    for name in ("updated_at", "deleted_at"):
        value = record.get(name)
        problem = None if value is None else _clock_problem(value, latest)
        if problem:
            return f"{name}: {problem}"
    return None


def _checker(name: str, kind: str) -> Callable[[Any], str | None]:
    """One field's check, built once per field: a restore checks 100,000 records of 18 fields."""
    if kind == "b":
        return lambda value: None if isinstance(value, bool) else "must be a boolean"
    if kind == "i":
        low, high = _RANGES.get(name, (0, INT4))

        def integer(value: Any) -> str | None:
            if type(value) is not int or not low <= value <= high:
                return f"must be an integer {low}..{high}"
            return None
        return integer
    if kind == "n":
        def number(value: Any) -> str | None:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or value < 0:
                return "must be a finite number >= 0"
            return None
        return number
    pattern, message = _PATTERNS.get(name, (None, ""))
    limit = MAX_SHORT if name in _SHORT else MAX_TEXT

    def text(value: Any) -> str | None:
        if type(value) is not str:
            return "must be a string"
        if "\x00" in value:
            return "contains U+0000"
        if pattern is not None:
            return None if pattern.match(value) else message
        return None if len(value) <= limit else f"longer than {limit} characters"
    return text


_PATTERNS = {
    "client_id": (_UUID, "must be a UUID"), "week_client_id": (_UUID, "must be a UUID"),
    "updated_at": (_CLOCK, "must be YYYY-MM-DDTHH:MM:SS.mmmZ"),
    "deleted_at": (_CLOCK, "must be YYYY-MM-DDTHH:MM:SS.mmmZ"),
    "start_date": (_DATE, "must be YYYY-MM-DD"), "week_label": (_LABEL, "1-100 characters, no control"),
}
_CHECKS = {stream: [(name, name in _NULLABLE, _checker(name, kind)) for name, kind in FIELDS[stream]]
           for stream in WORKLOG_STREAMS}


def _normal(stream: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """UUIDs in lower case (the app makes them so; the server may echo another case)."""
    out = dict(record)
    out["client_id"] = str(record["client_id"]).lower()
    if stream == "tasks":
        out["week_client_id"] = str(record["week_client_id"]).lower()
    else:
        out["aliases"] = [str(a).lower() for a in record.get("aliases") or ()]
    return out


def has_cursor(conn: sqlite3.Connection) -> bool:
    return any(kv.get(conn, cursor_key(s)) for s in WORKLOG_STREAMS)


def pull(conn: sqlite3.Connection, fetch: Fetch, *, limit: int = PULL_LIMIT, from_start: bool = False,
         progress: Callable[[str, int], None] | None = None, prefetch: bool = False,
         max_pages: int = SYNC_PAGES) -> PullResult:
    """Read ``weeks`` then ``tasks`` from the saved cursors (or from the beginning) until a short page.

    Each page is applied with its ``next_since`` in one transaction. A cursor the server refuses
    (400 ``invalid_cursor``: another server, a restored server database) is dropped and nothing changes now;
    the next pull reads that stream from the beginning (applying is idempotent, so nothing is doubled).
    ``prefetch`` (a restore) asks for the next page on a helper thread while this one is applied; a page is
    still applied only after the one before it, and one that fails is never applied.

    A stream stops after ``max_pages`` pages (listed in ``unfinished``; its cursor is saved, so the next pull
    reads on), and at a ``next_since`` this pull already had (a server going round in circles would keep the
    sync thread, and the heartbeats behind it, for ever): that page is named in ``invalid`` and not applied.
    """
    result = PullResult()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wfh-pull") as pool:
        for stream in WORKLOG_STREAMS:
            cursor = None if from_start else kv.get(conn, cursor_key(stream))
            read = pages = 0
            seen = set() if cursor is None else {cursor}
            ahead: Future[Outcome] | None = None
            while True:
                outcome = ahead.result() if ahead is not None else fetch(stream, cursor, limit)
                ahead = None
                result.pages += 1
                pages += 1
                if outcome.status == 400 and outcome.error_code == "invalid_cursor" and cursor is not None:
                    kv.delete(conn, [cursor_key(stream)])  # §9 reset_cursor: the next sync reads it from the start
                    result.reset.append(stream)
                    break
                if outcome.status != 200 or not valid_page(outcome, limit):
                    raise PullError(stream, outcome)
                records, next_since = outcome.body["records"], outcome.body["next_since"]
                last = len(records) < limit or next_since is None or next_since == cursor
                if not last and next_since in seen:
                    result.invalid.append(f"{stream} page {pages}: next_since repeats an earlier cursor of this "
                                          "read (the server goes round in circles); not applied, reading stopped")
                    break
                capped = not last and pages >= max_pages
                if prefetch and not last and not capped:
                    ahead = pool.submit(fetch, stream, next_since, limit)
                good = []
                latest = latest_clock()
                for index, record in enumerate(records):
                    problem = record_problem(stream, record, latest)
                    if problem is None:
                        good.append(_normal(stream, record))
                    else:
                        result.invalid.append(f"{stream} record {read + index + 1}: {problem}")
                try:
                    result.report.add(apply_page(conn, stream, good, next_since))
                    read += len(records)
                    result.received[stream] = read
                    if progress is not None:
                        progress(stream, read)
                except BaseException:
                    if ahead is not None:
                        ahead.cancel()
                    raise
                if last:
                    break
                if capped:
                    result.unfinished.append(stream)
                    break
                seen.add(next_since)
                cursor = next_since
    return result


class ProfileNotEmpty(WfhError):
    """A restore without ``--merge`` into a profile that already has weeks or tasks; nothing was changed."""


RESTORE_KEY = "sync.restore_started_at"
RESTORE_STALE = 900.0
RETRY_LIMIT = 5  # 429/503 answers a restore waits out before it gives up
RETRY_WAIT_MAX = 60.0


def local_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """Weeks and (not deleted) tasks of this profile."""
    weeks = int(conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0])
    tasks = int(conn.execute("SELECT COUNT(*) FROM tasks_optimized WHERE deleted_at IS NULL").fetchone()[0])
    return weeks, tasks


def check_restorable(conn: sqlite3.Connection, *, merge: bool) -> None:
    """Raise ``ProfileNotEmpty`` (naming ``--merge``) for a restore without merge into a profile with data."""
    if not merge and not profile_is_empty(conn):
        weeks, tasks = local_counts(conn)
        raise ProfileNotEmpty(f"this profile already has {weeks:,} weeks and {tasks:,} tasks; nothing was changed. "
                              "Run restore-from-server --merge to merge the server's copy into them "
                              "(by UUID, the newer version wins, conflicts are listed)")


def restore(conn: sqlite3.Connection, fetch: Fetch, *, merge: bool,
            progress: Callable[[str, int], None] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> PullResult:
    """Read every week and task of the employee from the server into this profile (``restore-from-server``).

    Into an empty profile always; into one with weeks or tasks only with ``merge`` (by UUID, newer wins, the
    conflicts listed in the result), otherwise ``ProfileNotEmpty`` and nothing changes. The cursors end where
    the regular sync goes on from. The server's rate limit (429/503 with Retry-After) is waited out."""
    check_restorable(conn, merge=merge)
    kv.put(conn, {RESTORE_KEY: f"{time.time():.0f}"})
    try:
        result = pull(conn, _patient(fetch, sleep), limit=RESTORE_LIMIT, from_start=True, progress=progress,
                      prefetch=True, max_pages=RESTORE_PAGES)
    finally:
        kv.delete(conn, [RESTORE_KEY])
    for stream in result.unfinished:
        result.invalid.append(f"{stream}: stopped after {RESTORE_PAGES:,} pages of {RESTORE_LIMIT:,}; "
                              "the regular sync reads the rest")
    return result


def restore_running(conn: sqlite3.Connection, now: float | None = None) -> bool:
    """A restore (this window's or a ``restore-from-server`` beside it) is reading: the sync's own pull waits, so
    the two do not read the same 100,000 tasks twice. A mark older than ``RESTORE_STALE`` s is from a crash."""
    started = kv.get(conn, RESTORE_KEY)
    try:
        return started is not None and (time.time() if now is None else now) - float(started) < RESTORE_STALE
    except ValueError:
        return False


def _patient(fetch: Fetch, sleep: Callable[[float], None]) -> Fetch:
    def patient(stream: str, since: str | None, limit: int) -> Outcome:
        for _ in range(RETRY_LIMIT):
            outcome = fetch(stream, since, limit)
            if outcome.status not in (429, 503):
                return outcome
            wait = parse_retry_after(outcome.header("Retry-After"), time.time())
            sleep(min(RETRY_WAIT_MAX, wait if wait is not None else 5.0))
        return outcome

    return patient


def explain(error: PullError) -> str:
    """A restore's failed request in words (the CLI's message and the window's dialog)."""
    outcome = error.outcome
    if outcome.status is None:
        text = f"the server could not be reached ({outcome.short()})"
    elif outcome.status == 401:
        text = "the server refused the API key (HTTP 401): check it in Settings → Sync"
    elif outcome.status == 403:
        text = "the API key belongs to another employee (HTTP 403)"
    elif outcome.status == 200:
        text = "the server's answer was not a page of weeks or tasks; is the server URL right?"
    else:
        text = f"the server answered {outcome.short()} while reading {error.stream}"
    return text + ". Pages read before this are kept; restore-from-server --merge finishes the restore"


def client_for(settings: Settings, keystore: KeyStore) -> ApiClient:
    """The API client a restore talks through; a clear ``ConfigError`` when the profile cannot reach a server."""
    if settings.text("ingestion.mode") != "api":
        raise ConfigError("restoring weeks and tasks needs the API (ingestion.mode = api)")
    api = settings.get("ingestion.api") or {}
    if not str(api.get("base_url") or "").strip():
        raise ConfigError("no server is configured (Settings → Sync, or WFH_AGENT_SERVER_URL)")
    key = keystore.get()
    if not key:
        raise ConfigError("no API key is set (Settings → Sync, or the environment variable)")
    return client_from(api, key)
