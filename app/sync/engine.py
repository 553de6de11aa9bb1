"""One sync cycle (§10.4–§10.7), free of Qt so the worker thread, ``sync --once`` and tests share it.

The engine owns the retry state (consecutive failures, next attempt time, paused streams, the
authentication stop) and writes its state into the ``settings`` table so ``status --json`` in
another process sees what the app sees. Requests run on a helper thread: ``stop()`` abandons the
in-flight request at once and nothing is marked synced without a valid 2xx.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import Settings
from app.errors import ConfigError, StorageError
from app.storage import worklog_apply
from app.storage.db import ConnectionFactory
from app.sync import outbox, state, worklog
from app.sync.client import Outcome, client_from, valid_ingest, valid_screenshot
from app.sync.keystore import KeyStore, key_prefix
from app.sync.policy import (
    ALL_STREAMS,
    MAX_BODY_BYTES,
    OTHER_STREAMS,
    PAUSE_SECONDS,
    WORKLOG_STREAMS,
    Action,
    Decision,
    ScreenshotBudget,
    backoff_delay,
    decide,
    halved,
    retry_after_delay,
)
from app.sync.status import SyncReason, SyncState, SyncStatus

log = logging.getLogger(__name__)


# A fresh local profile has no server: that is a normal way to use the app, not an error.
NOT_SET_UP = "No server set up: data stays on this computer"
PULL = "pull"  # the download of weeks and tasks: its own pause and log name, apart from the upload streams
WRONG_EMPLOYEE = "API key belongs to another employee"
KEY_REJECTED = "Authentication failed — check the API key"


class Aborted(Exception):
    """The worker is stopping; the in-flight request was abandoned."""


class _EndCycle(Exception):
    pass


class _EndStream(Exception):
    pass


@dataclass
class CycleResult:
    """What one cycle did and the state it ended in; ``last_error`` is the last failed request's text."""

    state: SyncState
    detail: str
    synced: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    retry_at: float | None = None
    last_error: str = ""
    reason: SyncReason = SyncReason.NONE
    received: dict[str, int] = field(default_factory=dict)  # weeks/tasks changed here by other devices' versions
    conflicts: list[str] = field(default_factory=list)

    def status(self, last_success: str | None) -> SyncStatus:
        return SyncStatus(self.state, self.reason, self.detail, sum(self.pending.values()), last_success,
                          self.retry_at)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state.value, "reason": self.reason.value, "detail": self.detail,
                "synced": self.synced, "quarantined": self.quarantined, "requests": self.requests,
                "pending": self.pending, "retry_at": self.retry_at, "last_error": self.last_error,
                "received": self.received, "conflicts": self.conflicts}


class SyncEngine:
    """Runs upload cycles against one transport (API or PostgreSQL) and keeps the retry state between them."""

    def __init__(self, db: ConnectionFactory, settings: Settings, data_dir: Path, keystore: KeyStore, *,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None,
                 pace_seconds: float = 1.0, burst: int = 20, sink_factory: Callable[[], Any] | None = None,
                 screenshot_budget: ScreenshotBudget | None = None) -> None:
        self.db = db
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.keystore = keystore
        self.clock = clock
        self.rng = rng or random.Random()
        self.pace_seconds = pace_seconds
        self.burst = burst
        self.screenshot_budget = screenshot_budget or ScreenshotBudget(time.monotonic)
        self.sink_factory = sink_factory
        self.on_progress: Callable[[CycleResult], None] | None = None  # called after each committed batch
        self.stop_event = threading.Event()
        self.failures = 0
        self.next_attempt_at = 0.0
        self.paused_until: dict[str, float] = {}
        self.pause_reason: dict[str, str] = {}
        self.auth_error: tuple[SyncReason, str] | None = None
        self.last_other_success: dict[str, float] = {}
        self.last_action: Action | None = None
        self.last_success: str | None = None  # UTC time of the last valid 2xx (for the tooltip)
        self._cycle_requests = 0  # paced requests; screenshot uploads are counted apart
        self._cycle_screenshots = 0
        self._last_request_at = 0.0
        self._last_prune = 0.0

    # ---- control ---------------------------------------------------------------------------
    def stop(self) -> None:
        self.stop_event.set()

    def settings_changed(self) -> None:
        """Key, URL or other settings changed: lift the auth stop and paused streams (§9, §10.10)."""
        self.auth_error = None
        self.paused_until.clear()
        self.pause_reason.clear()
        self.failures = 0
        self.next_attempt_at = 0.0

    def identity_confirmed(self) -> None:
        """Test connection got 200 from /api/v1/me: clears the authentication error."""
        self.auth_error = None

    @property
    def batch_size(self) -> int:
        return min(1000, self.settings.integer("ingestion.batch_size", minimum=1))

    # ---- transport -------------------------------------------------------------------------
    def _make_transport(self) -> Any:
        if self.settings.text("ingestion.mode") == "postgres":
            if self.sink_factory is not None:
                return self.sink_factory()
            from app.sync.postgres_mode import PostgresSink

            return PostgresSink.from_settings(self.settings)
        api = self.settings.get("ingestion.api") or {}
        if api.get("auth_header", "X-Api-Key") != "X-Api-Key":
            log.warning("ingestion.api.auth_header=%r is not supported; X-Api-Key is used", api.get("auth_header"))
        key = self.keystore.get()
        client = client_from(api, key)
        if not key:
            raise ConfigError("no API key is set (Settings → Sync, or the environment variable)")
        return client

    def _call(self, fn: Callable[[], Outcome], screenshot_bytes: int | None = None) -> Outcome:
        """Run one request on a daemon thread; give up on it at once when stopping (§ quit within 2 s).

        Paced as §10.4: requests after the cycle's first ``burst`` at most one per ``pace_seconds``;
        screenshots (``screenshot_bytes`` given) by the screenshot budget only (v1.1)."""
        if screenshot_bytes is not None:
            wait = self.screenshot_budget.wait_for(screenshot_bytes)
        elif self._cycle_requests >= self.burst and self.pace_seconds > 0:
            wait = self._last_request_at + self.pace_seconds - time.monotonic()
        else:
            wait = 0.0
        if wait > 0 and self.stop_event.wait(wait):
            raise Aborted()
        if self.stop_event.is_set():
            raise Aborted()
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        if screenshot_bytes is not None:
            self.screenshot_budget.spend(screenshot_bytes)
            self._cycle_screenshots += 1
        else:
            self._cycle_requests += 1
            self._last_request_at = time.monotonic()
        threading.Thread(target=run, name="wfh-sync-request", daemon=True).start()
        while not done.wait(0.05):
            if self.stop_event.is_set():
                raise Aborted()
        if "error" in box:
            raise box["error"]
        return box["value"]

    # ---- the cycle -------------------------------------------------------------------------
    def run_cycle(self, *, force_other: bool = False) -> CycleResult:
        conn = self.db.get()
        now = self.clock()
        result = CycleResult(SyncState.SYNCING, "")
        if not self.settings.flag("ingestion.enabled"):
            return self._finish(conn, result, SyncState.OFFLINE, SyncReason.UPLOADS_DISABLED,
                                "Uploads are disabled in the settings")
        if state.work_offline(conn):
            return self._finish(conn, result, SyncState.OFFLINE, SyncReason.WORKING_OFFLINE, "Working offline")
        if self.auth_error:
            return self._finish(conn, result, SyncState.AUTH_ERROR, *self.auth_error)
        self._cycle_requests = 0
        self._cycle_screenshots = 0
        if now < self.next_attempt_at:
            result.retry_at = self.next_attempt_at
            return self._finish(conn, result, SyncState.UNREACHABLE, SyncReason.SERVER_UNREACHABLE,
                                "Server unreachable")
        if self.settings.text("ingestion.mode") == "api" and not self.settings.text("ingestion.api.base_url").strip():
            result.last_error = NOT_SET_UP
            return self._finish(conn, result, SyncState.PENDING, SyncReason.NOT_SET_UP, NOT_SET_UP)
        try:
            transport = self._make_transport()
        except (ConfigError, ImportError) as exc:
            result.last_error = str(exc)
            return self._finish(conn, result, SyncState.ERROR, SyncReason.BAD_SETTINGS, str(exc))
        self._maybe_prune(conn, now)
        try:
            streams = ["heartbeats"]
            streams += [s for s in OTHER_STREAMS
                        if force_other or now - self.last_other_success.get(s, 0.0)
                        >= self.settings.integer("ingestion.sync.other_seconds", minimum=1)]
            worklog_ok = getattr(transport, "supports_worklog", True)
            if worklog_ok:
                streams += WORKLOG_STREAMS
            if getattr(transport, "supports_screenshots", True):
                streams.append("screenshots")
            for stream in streams:
                if self.paused_until.get(stream, 0.0) > self.clock():
                    continue
                try:
                    self._run_stream(conn, transport, stream, result)
                except _EndStream:
                    continue
            if worklog_ok and self.paused_until.get(PULL, 0.0) <= self.clock():
                try:
                    self._pull(conn, transport, result)
                except _EndStream:
                    pass
        except _EndCycle:
            pass
        except StorageError as exc:  # e.g. disk full while marking: the rows stay unsynced and go again later
            log.warning("sync cycle stopped by the local database: %s", exc)
            result.last_error = f"Local database: {exc}"
            return self._finish(conn, result, SyncState.ERROR, SyncReason.LOCAL_DATABASE, result.last_error)
        except Aborted:
            raise
        except Exception as exc:  # a bug or an answer nobody foresaw: back off like an outage, never crash the worker
            log.exception("sync cycle failed unexpectedly")
            self.failures += 1
            self.next_attempt_at = self.clock() + backoff_delay(self.failures, self.rng)
            result.last_error = f"Unexpected error: {type(exc).__name__}: {exc}"[:300]
            result.retry_at = self.next_attempt_at
            return self._finish(conn, result, SyncState.ERROR, SyncReason.NONE, result.last_error)
        finally:
            try:
                transport.close()
            except Exception:  # noqa: S110 - closing a dead session must not hide the cycle's result
                pass
        return self._finish(conn, result, *self._final_state(conn, result))

    def _final_state(self, conn: Any, result: CycleResult) -> tuple[SyncState, SyncReason, str]:
        if self.auth_error:
            return SyncState.AUTH_ERROR, *self.auth_error
        if self.next_attempt_at > self.clock():
            result.retry_at = self.next_attempt_at
            return SyncState.UNREACHABLE, SyncReason.SERVER_UNREACHABLE, result.last_error or "Server unreachable"
        paused = [s for s, until in self.paused_until.items() if until > self.clock()]
        if paused:
            return SyncState.ERROR, SyncReason.STREAM_PAUSED, "Sync error: " + "; ".join(
                f"{s} paused ({self.pause_reason.get(s, '')})" for s in paused)
        pending = outbox.pending_counts(conn, ALL_STREAMS)
        return (SyncState.PENDING if any(pending.values()) else SyncState.SYNCED), SyncReason.NONE, ""

    def _finish(self, conn: Any, result: CycleResult, name: SyncState, reason: SyncReason,
                detail: str) -> CycleResult:
        result.state, result.reason, result.detail = name, reason, detail
        result.requests = self._cycle_requests + self._cycle_screenshots
        try:
            result.pending = outbox.pending_counts(conn, ALL_STREAMS)
            state.save_status(conn, result.status(self.last_success))
        except StorageError as exc:
            log.warning("sync state not saved: %s", exc)
        return result

    def _maybe_prune(self, conn: Any, now: float) -> None:
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        try:
            outbox.prune_quarantine(conn)
            state.prune_log(conn, self.settings.integer("retention.sync_log_days", minimum=1))
        except StorageError as exc:
            log.warning("sync housekeeping skipped: %s", exc)

    def _run_stream(self, conn: Any, transport: Any, stream: str, result: CycleResult) -> None:
        size = self.batch_size
        while True:
            batch = outbox.fetch_batch(conn, stream, 1 if stream == "screenshots" else size)
            if not batch:
                if stream in OTHER_STREAMS:
                    self.last_other_success[stream] = self.clock()
                return
            if stream == "screenshots":
                self._send_screenshot(conn, transport, batch[0], result)
                continue
            body = outbox.serialize([r.record for r in batch])
            while len(body) > MAX_BODY_BYTES and len(batch) > 1:
                batch = batch[:halved(len(batch))]
                body = outbox.serialize([r.record for r in batch])
            if len(body) > MAX_BODY_BYTES:
                outbox.quarantine_rows(conn, stream, batch, None, "payload_too_large: record over 4 MiB")
                result.quarantined[stream] = result.quarantined.get(stream, 0) + 1
                continue
            outcome = self._call(lambda b=body, n=len(batch): transport.post_records(stream, b, n))  # type: ignore[misc]
            valid = outcome.status is not None and 200 <= outcome.status < 300 and valid_ingest(outcome, len(batch))
            decision = decide("ingest", outcome.status, error_code=outcome.error_code,
                              retry_after=outcome.header("Retry-After"), valid_2xx=valid, now=self.clock())
            if decision.action is Action.COMMIT:
                rejected = {int(r["index"]): str(r["error"]) for r in outcome.body["rejected"]}
                marked = outbox.commit_batch(conn, stream, batch, rejected, int(outcome.status or 200))
                self._log(conn, stream, len(batch), decision.action, outcome, True)
                self.failures = 0
                result.synced[stream] = result.synced.get(stream, 0) + marked
                if rejected:
                    result.quarantined[stream] = result.quarantined.get(stream, 0) + len(rejected)
                if self.on_progress is not None:
                    self.on_progress(result)
                continue
            if decision.action is Action.HALVE_BATCH:
                if len(batch) == 1:  # under the contract's 4 MiB (checked above), yet refused: the limit is wrong
                    self._fail(conn, stream, batch, Decision(Action.PAUSE_STREAM), outcome, result,
                               reason=f"server configuration error: HTTP 413 for one record of {len(body):,} bytes"
                                      " (the contract's limit is 4 MiB)")
                self._log(conn, stream, len(batch), decision.action, outcome, False)
                size = halved(len(batch))  # for the rest of this cycle (§10.6)
                continue
            self._fail(conn, stream, batch, decision, outcome, result)

    def _pull(self, conn: Any, transport: Any, result: CycleResult) -> None:
        """After the uploads: receive the other devices' weeks and tasks from the saved cursors (v1.2 §5.7).

        An empty profile that never pulled waits for the user's restore choice (``restore-from-server`` or the
        window's first-run question) instead of filling up behind their back."""
        if (not worklog.has_cursor(conn) and worklog_apply.profile_is_empty(conn)) or worklog.restore_running(conn):
            return
        fetch = lambda stream, since, limit: self._call(  # noqa: E731
            lambda: transport.get_changes(stream, since, limit))
        try:
            pulled = worklog.pull(conn, fetch)
        except worklog.PullError as exc:
            outcome = exc.outcome  # a 200 that is not a page (a captive portal) counts as a network failure
            decision = decide("me", outcome.status, error_code=outcome.error_code,
                              retry_after=outcome.header("Retry-After"), valid_2xx=False, now=self.clock())
            self._fail(conn, PULL, [], decision, outcome, result)
            return
        changed = pulled.report
        for stream in WORKLOG_STREAMS:
            if pulled.received.get(stream):
                self._log(conn, f"{PULL}:{stream}", pulled.received[stream], Action.COMMIT,
                          Outcome(200, duration_ms=0), True)
        if changed.changed:
            result.received = {"created": changed.created, "updated": changed.updated, "deleted": changed.deleted}
        result.conflicts = changed.conflicts
        for problem in pulled.invalid:
            log.warning("received record skipped: %s", problem)

    def _send_screenshot(self, conn: Any, transport: Any, row: outbox.OutboxRow, result: CycleResult) -> None:
        path = Path(row.file_path or "")
        if not path.is_absolute():
            path = self.data_dir / path
        try:
            content = path.read_bytes()
        except OSError as exc:
            outbox.quarantine_rows(conn, "screenshots", [row], None, f"file_missing: {type(exc).__name__}")
            result.quarantined["screenshots"] = result.quarantined.get("screenshots", 0) + 1
            return
        outcome = self._call(lambda: transport.post_screenshot(row.record, content, path.name), len(content))
        valid = outcome.status is not None and 200 <= outcome.status < 300 and valid_screenshot(outcome, row.client_id)
        decision = decide("screenshot", outcome.status, error_code=outcome.error_code,
                          retry_after=outcome.header("Retry-After"), valid_2xx=valid, now=self.clock())
        if decision.action is Action.MARK_SYNCED:
            marked = outbox.commit_batch(conn, "screenshots", [row], {}, int(outcome.status or 200))
            self._log(conn, "screenshots", 1, decision.action, outcome, True)
            self.failures = 0
            result.synced["screenshots"] = result.synced.get("screenshots", 0) + marked
            return
        if decision.action is Action.QUARANTINE_ITEM:
            outbox.quarantine_rows(conn, "screenshots", [row], outcome.status, outcome.error_code or outcome.short())
            self._log(conn, "screenshots", 1, decision.action, outcome, False)
            result.quarantined["screenshots"] = result.quarantined.get("screenshots", 0) + 1
            return
        self._fail(conn, "screenshots", [row], decision, outcome, result)

    def _fail(self, conn: Any, stream: str, batch: list[outbox.OutboxRow], decision: Any, outcome: Outcome,
              result: CycleResult, reason: str | None = None) -> None:
        """Non-success: count the retry, log, then end the stream's turn or the whole cycle (§10.4)."""
        self._log(conn, stream, len(batch), decision.action, outcome, False)
        try:
            outbox.count_retry(conn, stream, batch)
        except StorageError as exc:
            log.warning("retry_count not updated: %s", exc)
        now = self.clock()
        result.last_error = f"{stream}: {outcome.short()}"
        if decision.action is Action.STOP_AUTH:
            self.auth_error = ((SyncReason.WRONG_EMPLOYEE, WRONG_EMPLOYEE) if outcome.status == 403
                               else (SyncReason.KEY_REJECTED, KEY_REJECTED))
            log.warning("sync stopped: HTTP %s with key %s…", outcome.status, key_prefix(self.keystore.get()))
            raise _EndCycle()
        if decision.action is Action.PAUSE_STREAM:
            self.paused_until[stream] = now + PAUSE_SECONDS
            status = outcome.status or 0
            self.pause_reason[stream] = reason or ("server configuration error" if 300 <= status < 400
                                                   else outcome.short())
            log.warning("stream %s paused for %d s: %s %r", stream, PAUSE_SECONDS, outcome.short(),
                        (outcome.raw[:300] or b"").decode("utf-8", "replace"))  # %r: a body cannot forge log lines
            raise _EndStream()
        self.failures += 1
        if decision.action is Action.RETRY_AFTER and decision.retry_after is not None:
            delay = retry_after_delay(decision.retry_after, self.rng)
        else:
            delay = backoff_delay(self.failures, self.rng)
        self.next_attempt_at = now + delay
        raise _EndCycle()

    def _log(self, conn: Any, stream: str, count: int, action: Action, outcome: Outcome, success: bool) -> None:
        self.last_action = action
        if success:
            self.last_success = outbox.utc_now_iso()
        error = None if success else outcome.short()
        if success and outcome.body and isinstance(outcome.body, dict) and outcome.body.get("rejected"):
            error = f"{len(outcome.body['rejected'])} record(s) quarantined"
        try:
            state.log_attempt(conn, stream, count, action.value, success, outcome.status, outcome.duration_ms, error)
        except StorageError as exc:
            log.warning("sync_log row not written: %s", exc)

