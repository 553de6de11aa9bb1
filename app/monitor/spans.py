"""Span merger: turns a stream of samples into closed, non-overlapping spans (pure code).

Rules (INGESTION_API.md §6.2, issue 5):

* consecutive equal samples (status, process, title, domain, url) extend the open span;
* a change closes it where the changing sample was taken, so the next span starts exactly where
  the previous one ended and a day's spans tile the time the agent ran;
* a gap larger than two intervals, measured on the wall clock *or* the monotonic clock (suspend,
  a stalled process), closes the open span at the last sample; the gap becomes ``offline`` spans
  (≤ 86,400 s each) written after the fact;
* 300 s closes a span in any case (the next one continues with the same content);
* the wall clock running backwards never produces negative or overlapping spans: sample times are
  clamped to the last time already used (``max(wall, cursor)``), and spans of zero length are
  dropped;
* when a sample reports idle, the time since the last input is re-attributed to ``idle``. To make
  that possible, closed spans are held back ``hold_seconds`` (the idle threshold plus one interval)
  before they are released; a released span is final and gets its UUID ``client_id`` then.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

STATUSES = ("active", "idle", "locked", "offline")
MAX_SPAN_MS = 300_000
MAX_OFFLINE_MS = 86_400_000


@dataclass(slots=True)
class Sample:
    """One observation. ``wall`` is ``time.time()`` seconds, ``mono`` is ``time.monotonic()``."""

    wall: float
    mono: float
    status: str = "active"
    process_name: str = ""
    window_title: str = ""
    domain: str | None = None
    url: str | None = None
    cpu_percent: float = 0.0
    memory_percent: float = 0.0
    battery_level: float | None = None
    battery_plugged: bool | None = None
    idle_seconds: float = 0.0
    tz: str = "UTC"
    passive: bool = False   # no input, but media playing or idle inhibited: active time not typed in

    def key(self) -> tuple[str, str, str, str | None, str | None, bool]:
        return (self.status, self.process_name, self.window_title, self.domain, self.url, self.passive)


@dataclass(slots=True)
class Span:
    """A closed interval ``[start_ms, end_ms]`` with one content. ``client_id`` is set on release."""

    start_ms: int
    end_ms: int
    tz: str
    status: str
    process_name: str = ""
    window_title: str = ""
    domain: str | None = None
    url: str | None = None
    cpu_percent: float = 0.0
    memory_percent: float = 0.0
    battery_level: float | None = None
    battery_plugged: bool | None = None
    client_id: str = ""
    category: str | None = None
    category_name: str | None = None
    passive: bool = False

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def key(self) -> tuple[str, str, str, str | None, str | None, bool]:
        return (self.status, self.process_name, self.window_title, self.domain, self.url, self.passive)


@dataclass(slots=True)
class _Open:
    start_ms: int
    end_ms: int
    sample: Sample
    cpu_sum: float = 0.0
    mem_sum: float = 0.0
    count: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, sample: Sample, at_ms: int) -> None:
        self.end_ms = at_ms
        self.cpu_sum += sample.cpu_percent
        self.mem_sum += sample.memory_percent
        self.count += 1
        self.sample = _with_battery(self.sample, sample)

    def close(self, end_ms: int) -> Span:
        s = self.sample
        count = max(self.count, 1)
        return Span(
            start_ms=self.start_ms, end_ms=end_ms, tz=s.tz, status=s.status,
            process_name=s.process_name, window_title=s.window_title, domain=s.domain, url=s.url,
            cpu_percent=_pct(self.cpu_sum / count), memory_percent=_pct(self.mem_sum / count),
            battery_level=s.battery_level, battery_plugged=s.battery_plugged, passive=s.passive,
        )


def _pct(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 2)


def _with_battery(base: Sample, latest: Sample) -> Sample:
    if base.battery_level == latest.battery_level and base.battery_plugged == latest.battery_plugged:
        return base
    return Sample(
        wall=base.wall, mono=base.mono, status=base.status, process_name=base.process_name,
        window_title=base.window_title, domain=base.domain, url=base.url, tz=base.tz,
        battery_level=latest.battery_level, battery_plugged=latest.battery_plugged, passive=base.passive,
    )


def _idle_like(sample: Sample) -> Sample:
    """The content of an idle span: no app or title (the user was away)."""
    return Sample(wall=sample.wall, mono=sample.mono, status="idle", tz=sample.tz,
                  cpu_percent=sample.cpu_percent, memory_percent=sample.memory_percent,
                  battery_level=sample.battery_level, battery_plugged=sample.battery_plugged)


class SpanMerger:
    """Feed samples with ``push``; it returns the spans that became final. ``flush`` ends all."""

    def __init__(
        self,
        interval_seconds: float,
        *,
        max_span_seconds: float = 300,
        hold_seconds: float = 0,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.interval_ms = max(1, int(interval_seconds * 1000))
        self.gap_ms = 2 * self.interval_ms
        self.max_span_ms = int(max_span_seconds * 1000)
        self.hold_ms = int(hold_seconds * 1000)
        self._new_id = new_id or (lambda: str(uuid.uuid4()))
        self._open: _Open | None = None
        self._pending: list[Span] = []
        self._cursor: int | None = None     # latest instant already used
        self._released_to: int | None = None  # end of the last final span
        self._last_mono: float | None = None

    @property
    def open_span(self) -> Span | None:
        """A snapshot of the open span (not final), for displays."""
        return self._open.close(self._open.end_ms) if self._open else None

    @property
    def pending_spans(self) -> list[Span]:
        """The closed spans still held back for idle back-dating (not final), oldest first."""
        return list(self._pending)

    @property
    def cursor_ms(self) -> int | None:
        return self._cursor

    def push(self, sample: Sample) -> list[Span]:
        if sample.status in ("idle", "locked") and (sample.process_name or sample.window_title
                                                     or sample.domain or sample.url):
            away = _idle_like(sample)
            away.status, away.idle_seconds = sample.status, sample.idle_seconds
            sample = away
        wall_ms = int(round(sample.wall * 1000))
        if self._cursor is None:
            self._start(sample, wall_ms)
            self._cursor, self._last_mono = wall_ms, sample.mono
            self._released_to = wall_ms
            return []
        cursor = self._cursor
        t = max(wall_ms, cursor)
        wall_gap = wall_ms - cursor
        mono_gap = (sample.mono - self._last_mono) * 1000 if self._last_mono is not None else wall_gap
        if wall_gap > self.gap_ms or mono_gap > self.gap_ms:
            self._close_open(cursor)
            start = cursor
            while start < t:
                end = min(t, start + MAX_OFFLINE_MS)
                self._pending.append(Span(start_ms=start, end_ms=end, tz=sample.tz, status="offline"))
                start = end
            self._start(sample, t)
        else:
            if sample.status == "idle" and sample.idle_seconds > 0:
                self._backdate_idle(t - int(sample.idle_seconds * 1000), sample, t)
            self._advance(sample, t, cursor)
        self._cursor, self._last_mono = t, sample.mono
        return self._release(t - self.hold_ms)

    def flush(self) -> list[Span]:
        """Close the open span at the last sample and release everything (stop, pause)."""
        if self._cursor is not None:
            self._close_open(self._cursor)
        return self._release(None)

    # ---- internals ---------------------------------------------------------------------
    def _start(self, sample: Sample, at_ms: int) -> None:
        self._open = _Open(start_ms=at_ms, end_ms=at_ms, sample=sample)
        self._open.add(sample, at_ms)

    def _advance(self, sample: Sample, t: int, cursor: int) -> None:
        current = self._open
        if current is None:
            # After a flush (pause shorter than the gap): continue from the cursor so spans tile.
            self._start(sample, cursor)
            current = self._open
            assert current is not None
        while self.max_span_ms and t - current.start_ms > self.max_span_ms:
            cut = current.start_ms + self.max_span_ms
            self._pending.append(current.close(cut))
            current = _Open(start_ms=cut, end_ms=cut, sample=current.sample,
                            cpu_sum=current.cpu_sum / max(current.count, 1),
                            mem_sum=current.mem_sum / max(current.count, 1), count=1)
            self._open = current
        if sample.key() == current.sample.key():
            current.add(sample, t)
            if self.max_span_ms and t - current.start_ms >= self.max_span_ms:
                self._close_open(t)
                self._start(sample, t)
        else:
            self._close_open(t)
            self._start(sample, t)

    def _close_open(self, at_ms: int) -> None:
        if self._open is None:
            return
        span = self._open.close(max(self._open.start_ms, at_ms))
        self._open = None
        if span.duration_ms > 0:
            self._pending.append(span)

    def _backdate_idle(self, idle_start: int, sample: Sample, t: int) -> None:
        """Re-attribute ``[idle_start, t]`` from ``active`` to ``idle`` (held-back spans only)."""
        current = self._open
        if current is None or current.sample.status != "active" or current.sample.passive:
            return
        floor = self._released_to if self._released_to is not None else idle_start
        for span in self._pending:
            if span.status != "active" or span.passive:   # media time stays active: never back-dated
                floor = max(floor, span.end_ms)
        idle_start = max(idle_start, floor)
        if idle_start >= t:
            return
        kept: list[Span] = []
        for span in self._pending:
            if span.end_ms <= idle_start:
                kept.append(span)
            elif span.start_ms < idle_start:
                span.end_ms = idle_start
                kept.append(span)
        self._pending = kept
        if current.start_ms < idle_start:
            span = current.close(idle_start)
            self._pending.append(span)
        idle = _idle_like(sample)
        self._open = _Open(start_ms=idle_start, end_ms=idle_start, sample=idle)
        self._open.add(idle, idle_start)

    def _release(self, upto_ms: int | None) -> list[Span]:
        if not self._pending:
            return []
        if upto_ms is None:
            ready, self._pending = self._pending, []
        else:
            ready = [s for s in self._pending if s.end_ms <= upto_ms]
            if not ready:
                return []
            self._pending = [s for s in self._pending if s.end_ms > upto_ms]
        for span in ready:
            span.client_id = self._new_id()
        self._released_to = max(self._released_to or ready[-1].end_ms, ready[-1].end_ms)
        return ready
