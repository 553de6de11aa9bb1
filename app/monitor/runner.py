"""The monitoring loop without Qt: sample → merge → outbox, screenshots, aggregates, pause.

``MonitorRunner.run()`` blocks the calling thread until ``request_stop()``; the headless CLI runs
it on the main thread, the GUI's ``MonitorAgent`` on a worker thread. Requests from other
threads (pause, resume, stop, reload) are queued and applied by the loop itself, because the
database connection and the mss handle belong to the loop's thread. Stopping closes the open
span, writes it and recomputes the touched days' aggregates. Every tick also journals what is still
held in memory (``app.monitor.journal``), so a crash loses at most one interval; ``start`` replays it,
and restores a pause that has not expired. Window and idle backends are chosen from the session here,
at start (``app.monitor.session``), not at import.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from app.config import Settings
from app.errors import WfhError
from app.monitor import consent
from app.monitor.aggregates import TimelineBuilder
from app.monitor.categorize import DEFAULT_RULES, categorize, is_excluded
from app.monitor.journal import Held, MonitorJournal
from app.monitor.sampler import Sampler
from app.monitor.screenshots import ScreenshotTaker, next_delay
from app.monitor.spans import Sample, Span, SpanMerger
from app.monitor.state import MonitorState
from app.monitor.store import MonitorStore
from app.monitor.timeutil import days_touched, local_zone_name, ms_to_iso

if TYPE_CHECKING:
    from app.profile import Profile

log = logging.getLogger(__name__)

EARLY_TICK_MIN_GAP = 0.1  # seconds; title changes (clocks in titles) must not turn into busy sampling

CONSENT_HOWTO = ("monitoring needs consent first: run `wfh-agent --data-dir DIR consent --accept` "
                 "(prints what is captured and records consent), or accept it in the app.")


class NoConsentError(WfhError):
    """Monitoring was started before the user accepted the consent text."""


class MonitorEvents:
    """Callbacks of the runner (called on the loop's thread). Override what you need."""

    def state_changed(self, state: str, detail: str) -> None: ...
    def idle_detected(self, start_ms: int, detected_ms: int) -> None: ...
    def idle_returned(self, start_ms: int, end_ms: int) -> None: ...
    def spans_written(self, count: int) -> None: ...
    def screenshot_taken(self, row: dict[str, Any]) -> None: ...
    def warning(self, message: str) -> None: ...


@dataclass
class _Request:
    kind: str
    seconds: float | None = None


def uploads_configured(settings: Settings) -> bool:
    """True when screenshots are meant to reach a server: then local retention must leave unsent ones to
    the sync worker's queue caps (INGESTION_API.md §10.9); a local-only profile keeps its own retention."""
    if not settings.flag("ingestion.enabled"):
        return False
    if settings.text("ingestion.mode") == "postgres":
        return True
    return bool(settings.text("ingestion.api.base_url").strip())


def sample_interval(settings: Settings) -> float:
    """Seconds between samples (at least 0.2)."""
    return max(0.2, settings.number("monitoring.sample_interval"))


def idle_threshold(settings: Settings) -> float:
    """Seconds without input after which the user counts as idle (at least 1)."""
    return max(1.0, settings.number("monitoring.idle_threshold"))


def hold_seconds(settings: Settings) -> float:
    """How long closed spans are held back before they are final: the idle threshold plus one interval."""
    return idle_threshold(settings) + sample_interval(settings)


class MonitorRunner:
    """One profile's monitoring loop; states: ``running``, ``paused``, ``stopped``."""

    def __init__(
        self,
        profile: Profile,
        *,
        events: MonitorEvents | None = None,
        display: str | None = None,
        window_backend: Any = None,
        idle_backend: Any = None,
        screenshot_taker: ScreenshotTaker | None = None,
        media: Any = None,
        inhibitors: Any = None,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile = profile
        self.events = events or MonitorEvents()
        self.display = display
        self._window_backend = window_backend
        self._idle_backend = idle_backend
        self._screens = screenshot_taker
        self._media = media
        self._inhibitors = inhibitors
        self._wall, self._mono = wall, mono
        self._requests: list[_Request] = []
        self._window_changed = threading.Event()
        self._stop_watch: Callable[[], None] | None = None
        self._last_tick_mono = -1e9
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.state: str = MonitorState.STOPPED
        self.paused_until_ms: int | None = None
        self._paused_until_mono: float | None = None
        self._load_settings()

    # ---- requests from any thread ------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request_pause(self, seconds: float | None) -> None:
        """Pause for ``seconds`` (15 min, 1 h …) or, with None, until ``request_resume``."""
        self._push(_Request("pause", seconds))

    def request_resume(self) -> None:
        self._push(_Request("resume"))

    def request_reload(self) -> None:
        self._push(_Request("reload"))

    def _push(self, request: _Request) -> None:
        with self._lock:
            self._requests.append(request)
        self._wake.set()

    # ---- loop ----------------------------------------------------------------------------
    def run(self, duration: float | None = None) -> None:
        self.start()
        deadline = None if duration is None else self._mono() + duration
        next_tick = self._mono()
        try:
            while not self._stop.is_set():
                self._apply_requests()
                now = self._mono()
                if deadline is not None and now >= deadline:
                    break
                if now >= next_tick:
                    self._window_changed.clear()
                    self.tick()
                    next_tick += self.interval
                    if next_tick <= self._mono():
                        next_tick = self._mono() + self.interval
                elif self._window_changed.is_set() and now - self._last_tick_mono >= EARLY_TICK_MIN_GAP:
                    self._window_changed.clear()
                    self.tick()  # an extra sample right at a window switch: exact span boundary
                timeout = next_tick - self._mono()
                if self._window_changed.is_set():
                    timeout = min(timeout, EARLY_TICK_MIN_GAP)
                if deadline is not None:
                    timeout = min(timeout, deadline - self._mono())
                self._wake.wait(max(0.0, timeout))
                self._wake.clear()
        finally:
            self.stop()

    def start(self) -> None:
        self.store = MonitorStore(self.profile.db)
        if not consent.has_consent(self.store.conn):
            raise NoConsentError(CONSENT_HOWTO)
        self.journal = MonitorJournal(self.store)
        self._replay_journal()
        if self._window_backend is None:
            from app.monitor import window

            self._window_backend = window.create(self.display)
        if self._idle_backend is None:
            from app.monitor import idle

            self._idle_backend = idle.create(self.display)
        self.journal.save_methods(self._window_backend, self._idle_backend)
        watch = getattr(self._window_backend, "watch_changes", None)
        if callable(watch):
            self._stop_watch = watch(self._on_window_change)
        if self._media is None and sys.platform.startswith("linux"):
            from app.monitor.idle._media import MediaWatcher

            self._media = MediaWatcher()   # connects to the session bus only when first asked
        if self._inhibitors is None and sys.platform.startswith("linux"):
            from app.monitor.idle._inhibit import InhibitWatcher

            self._inhibitors = InhibitWatcher()   # likewise: buses opened at the first question
        self.sampler = Sampler(self._window_backend, self._idle_backend, idle_threshold=self.idle_threshold,
                               tz=self.tz, wall=self._wall, mono=self._mono,
                               media=self._media if self.passive_media else None,
                               inhibitors=self._inhibitors if self.passive_inhibitors else None)
        self._passive_at_ms: int | None = None
        if self._screens is None:
            self._screens = ScreenshotTaker(self.profile.paths.data_dir, self.store, display=self.display)
        self._next_shot = self._mono() + next_delay(self.shot_interval, self.jitter)
        self._next_aggregate = self._mono() + self.aggregate_interval
        self._away_since_ms: int | None = None
        self._shot_failed_logged = False
        self._set_state(MonitorState.RUNNING, "")
        self._restore_pause()

    def _replay_journal(self) -> None:
        """What a crash left in the journal becomes final: pending and open spans, the open timeline entry."""
        held = self.journal.load()
        if held.empty():
            return
        self.timeline.restore(held.timeline)
        spans = held.spans()
        log.info("replaying %d span(s) held before the agent stopped unexpectedly", len(spans))
        self._commit(spans, flush_timeline=True, held=Held())
        self._update_aggregates()

    def _restore_pause(self) -> None:
        """A pause survives quitting and restarting until it expires."""
        paused, until_ms = self.journal.load_pause(int(self._wall() * 1000))
        if paused:
            self._pause(None if until_ms is None else max(0.0, until_ms / 1000 - self._wall()))

    def stop(self) -> None:
        if self.state == MonitorState.STOPPED:
            return
        try:
            self._commit(self.merger.flush(), flush_timeline=True)
            self._update_aggregates()
        finally:
            if self._stop_watch is not None:
                self._stop_watch()
                self._stop_watch = None
            for backend in (self._window_backend, self._idle_backend, self._screens, self._media,
                            self._inhibitors):
                if backend is not None:
                    backend.close()
            self._set_state(MonitorState.STOPPED, "")

    def _on_window_change(self) -> None:
        """Called from the X11 watcher thread: sample soon, on the loop's own thread."""
        self._window_changed.set()
        self._wake.set()

    def tick(self) -> Sample | None:
        self._last_tick_mono = self._mono()
        if self._paused_until_mono is not None:
            if self._mono() < self._paused_until_mono:
                return None
            self._resume()
        if self.state == MonitorState.PAUSED:
            return None
        sample = self.sampler.tick()
        excluded = bool(sample.process_name or sample.window_title) and is_excluded(
            self.exclusions, sample.process_name, sample.window_title)
        if excluded:
            sample.window_title, sample.url = "", None
        self._track_away(sample)
        self._commit(self.merger.push(sample))
        now = self._mono()
        if self.screenshots_enabled and now >= self._next_shot:
            self._next_shot = now + next_delay(self.shot_interval, self.jitter)
            if sample.status == "active" and not excluded:
                self._take_screenshot(sample)
        if now >= self._next_aggregate:
            self._next_aggregate = now + self.aggregate_interval
            self._update_aggregates()
        return sample

    # ---- internals -------------------------------------------------------------------------
    def _load_settings(self, settings: Settings | None = None) -> None:
        """Read the monitoring block; ``settings`` is a fresh Settings after a reload (the profile's own
        object is shared with the GUI and the sync worker, so it is never replaced from this thread).
        Typed reads: a missing or hand-mistyped value reads as its ``config.DEFAULTS`` value."""
        self.full_settings = s = settings if settings is not None else self.profile.settings
        self.interval = sample_interval(s)
        self.idle_threshold = idle_threshold(s)
        self.shot_interval = max(5.0, s.number("monitoring.screenshot_interval"))
        self.jitter = s.number("monitoring.screenshot_jitter")
        self.screenshots_enabled = s.flag("monitoring.screenshots_enabled")
        self.aggregate_interval = max(1.0, s.number("monitoring.aggregate_interval"))
        self.workday_hours = s.number("monitoring.workday_hours")
        self.passive_media = s.flag("monitoring.passive_media")   # media playing: active, marked passive
        self.passive_inhibitors = s.flag("monitoring.passive_inhibitors")   # an idle inhibitor: likewise
        self.rules = s.get("monitoring.rules") or DEFAULT_RULES     # a list the user may have emptied
        self.exclusions = s.get("monitoring.exclusions") or {}
        self.tz = local_zone_name()
        self.zone = ZoneInfo(self.tz)
        self.merger = SpanMerger(self.interval, hold_seconds=self.idle_threshold + self.interval)
        self.timeline = TimelineBuilder()
        self._dirty_days: set[date] = set()

    def _apply_requests(self) -> None:
        with self._lock:
            requests, self._requests = self._requests, []
        for request in requests:
            if request.kind == "pause":
                self._pause(request.seconds)
            elif request.kind == "resume":
                self._resume()
            elif request.kind == "reload":
                self._commit(self.merger.flush(), flush_timeline=True)
                self._load_settings(type(self.profile.settings)(self.profile.paths))
                self.sampler.idle_threshold, self.sampler.tz = self.idle_threshold, self.tz
                self.sampler.media = self._media if self.passive_media else None
                self.sampler.inhibitors = self._inhibitors if self.passive_inhibitors else None

    def _pause(self, seconds: float | None) -> None:
        self._commit(self.merger.flush(), flush_timeline=True)
        self._away_since_ms = None
        if seconds is None:
            self._paused_until_mono, self.paused_until_ms = None, None
            detail = "until resumed"
        else:
            self._paused_until_mono = self._mono() + seconds
            self.paused_until_ms = int((self._wall() + seconds) * 1000)
            detail = f"until {ms_to_iso(self.paused_until_ms)}"
        self.journal.save_pause(self.paused_until_ms, paused=True)
        self._set_state(MonitorState.PAUSED, detail)

    def _resume(self) -> None:
        self._paused_until_mono, self.paused_until_ms = None, None
        self.journal.save_pause(None, paused=False)
        if self.state == MonitorState.PAUSED:
            self._set_state(MonitorState.RUNNING, "")

    def _set_state(self, state: str, detail: str) -> None:
        self.state = state
        self.events.state_changed(state, detail)

    def _track_away(self, sample: Sample) -> None:
        now_ms = int(sample.wall * 1000)
        if sample.passive:
            self._passive_at_ms = now_ms   # time up to here was media, not absence
        if sample.status in ("idle", "locked"):
            if self._away_since_ms is None:
                self._away_since_ms = max(now_ms - int(sample.idle_seconds * 1000), self._passive_at_ms or 0)
                if sample.status == "idle":
                    self.events.idle_detected(self._away_since_ms, now_ms)
        elif self._away_since_ms is not None:
            start, self._away_since_ms = self._away_since_ms, None
            if now_ms - start >= self.idle_threshold * 1000:
                self.events.idle_returned(start, now_ms)

    def _commit(self, spans: list[Span], *, flush_timeline: bool = False, held: Held | None = None) -> None:
        """Write the spans that became final and journal what is still held, in one transaction."""
        entries = []
        for span in spans:
            if span.status == "active":
                span.category, span.category_name = categorize(
                    self.rules, span.process_name, span.window_title, span.domain)
            self._dirty_days.update(days_touched(span.start_ms, span.end_ms, self.zone))
            entries.extend(self.timeline.push(span))
        if flush_timeline:
            entries.extend(self.timeline.flush())
        if held is None:
            held = Held(self.merger.pending_spans, self.merger.open_span, self.timeline.open_entry)
        if not self.journal.save(spans, entries, held):
            self.events.warning("The disk is full: activity is not being saved. Free some space.")
        elif spans:
            self.events.spans_written(len(spans))

    def _update_aggregates(self) -> None:
        days, self._dirty_days = sorted(self._dirty_days), set()
        for day in days:
            if self.store.update_day(day, self.zone, workday_hours=self.workday_hours) is None:
                self._dirty_days.add(day)  # retried at the next aggregate interval
                self.events.warning("The disk is full: daily totals were not updated.")

    def _take_screenshot(self, sample: Sample) -> None:
        assert self._screens is not None
        try:
            row = self._screens.take(int(sample.wall * 1000), self.full_settings)
        except Exception as exc:  # noqa: BLE001 - no display, mss/Pillow failure: skip this one
            if not self._shot_failed_logged:
                log.warning("screenshot failed: %s", exc)
                self._shot_failed_logged = True
            self.store.bump("screenshot_failures")
            return
        if row is None:
            self.events.warning("The disk is full: a screenshot was skipped. Free some space.")
            return
        self.events.screenshot_taken(row)
        self._screens.apply_retention(int(sample.wall * 1000),
                                      self.full_settings.number("retention.screenshots_days"),
                                      self.full_settings.number("monitoring.screenshot_max_disk_mb"),
                                      keep_unsent=uploads_configured(self.full_settings))
