"""Daily aggregates: DST days, clipping to the local day, breaks, streaks, overtime, timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.monitor.aggregates import TimelineBuilder, compute_day, timeline_entries
from app.monitor.spans import Span
from app.monitor.timeutil import day_bounds_ms, days_touched, iso_to_ms, ms_to_iso

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> int:
    return iso_to_ms(text)


def span(start: str, end: str, status: str = "active", app: str = "code", domain: str | None = None,
         category: str | None = "productive") -> Span:
    return Span(start_ms=at(start), end_ms=at(end), tz="Europe/Berlin", status=status, process_name=app,
                domain=domain, category=category)


def test_dst_days_in_berlin_have_23_and_25_hours() -> None:
    lo, hi = day_bounds_ms(date(2026, 3, 29), BERLIN)
    assert hi - lo == 23 * 3_600_000
    assert ms_to_iso(lo) == "2026-03-28T23:00:00.000Z"
    lo, hi = day_bounds_ms(date(2026, 10, 25), BERLIN)
    assert hi - lo == 25 * 3_600_000
    assert ms_to_iso(hi) == "2026-10-25T23:00:00.000Z"


def test_a_span_over_local_midnight_is_split_between_days() -> None:
    # 22:30–00:30 local in winter (UTC+1) = 21:30Z–23:30Z
    spans = [span("2026-11-25T21:30:00Z", "2026-11-25T23:30:00Z")]
    first = compute_day(spans, date(2026, 11, 25), BERLIN)
    second = compute_day(spans, date(2026, 11, 26), BERLIN)
    assert first.productivity["productive_seconds"] == 5400
    assert second.productivity["productive_seconds"] == 1800
    assert days_touched(spans[0].start_ms, spans[0].end_ms, BERLIN) == [date(2026, 11, 25), date(2026, 11, 26)]


def test_whole_25_hour_dst_day_is_capped_at_86400() -> None:
    lo, hi = day_bounds_ms(date(2026, 10, 25), BERLIN)
    whole = Span(start_ms=lo, end_ms=hi, tz="Europe/Berlin", status="active", category="neutral")
    agg = compute_day([whole], date(2026, 10, 25), BERLIN)
    assert agg.productivity["neutral_seconds"] == 86_400
    assert agg.wellness["active_seconds"] == 86_400


def test_spring_forward_day_counts_real_elapsed_time() -> None:
    # 01:00–04:00 local on 2026-03-29 is only 2 real hours (02:00–03:00 does not exist).
    spans = [span("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z")]
    agg = compute_day(spans, date(2026, 3, 29), BERLIN)
    assert agg.wellness["active_seconds"] == 7200


def test_productivity_website_usage_and_score() -> None:
    spans = [
        span("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", app="firefox", domain="github.com"),
        span("2026-11-26T09:00:00Z", "2026-11-26T09:30:00Z", app="firefox", domain="youtube.com",
             category="unproductive"),
        span("2026-11-26T09:30:00Z", "2026-11-26T10:00:00Z", category="neutral", app="slack"),
        span("2026-11-26T10:00:00Z", "2026-11-26T10:10:00Z", status="idle", app="", category=None),
        span("2026-11-26T10:10:00Z", "2026-11-26T10:20:00Z", status="offline", app="", category=None),
    ]
    agg = compute_day(spans, date(2026, 11, 26), BERLIN)
    assert agg.productivity == {"productive_seconds": 3600, "unproductive_seconds": 1800,
                                "neutral_seconds": 1800, "idle_seconds": 600, "score": 62.5}
    assert agg.website_usage == {"github.com": {"duration_seconds": 3600, "tag": "productive"},
                                 "youtube.com": {"duration_seconds": 1800, "tag": "unproductive"}}


def test_wellness_breaks_streaks_and_overtime() -> None:
    spans = [
        span("2026-11-26T06:00:00Z", "2026-11-26T10:00:00Z"),
        span("2026-11-26T10:00:00Z", "2026-11-26T10:04:00Z", status="idle", category=None),  # < 5 min
        span("2026-11-26T10:04:00Z", "2026-11-26T12:00:00Z"),
        span("2026-11-26T12:00:00Z", "2026-11-26T12:30:00Z", status="locked", category=None),  # break
        span("2026-11-26T12:30:00Z", "2026-11-26T16:00:00Z"),
        # no data 16:00–17:00 is a break too
        span("2026-11-26T17:00:00Z", "2026-11-26T17:30:00Z"),
    ]
    wellness = compute_day(spans, date(2026, 11, 26), BERLIN, workday_hours=8).wellness
    assert wellness["active_seconds"] == 4 * 3600 + 116 * 60 + 210 * 60 + 1800
    assert wellness["break_count"] == 2
    assert wellness["longest_streak_seconds"] == 6 * 3600
    assert wellness["overtime_seconds"] == wellness["active_seconds"] - 8 * 3600


def test_empty_day_gives_zeros() -> None:
    agg = compute_day([], date(2026, 11, 26), BERLIN)
    assert agg.productivity["score"] == 0.0 and agg.wellness["break_count"] == 0
    assert agg.website_usage == {}


def test_timeline_joins_same_label_and_drops_offline() -> None:
    spans = [
        span("2026-11-26T08:00:00Z", "2026-11-26T08:05:00Z", app="code"),
        span("2026-11-26T08:05:00Z", "2026-11-26T08:10:00Z", app="code"),
        span("2026-11-26T08:10:00Z", "2026-11-26T08:12:00Z", app="firefox", domain="github.com"),
        span("2026-11-26T08:12:00Z", "2026-11-26T08:20:00Z", status="idle", app=""),
        span("2026-11-26T08:20:00Z", "2026-11-26T09:00:00Z", status="offline", app=""),
    ]
    entries = timeline_entries(spans)
    assert [(e.kind, e.label, e.end_ms - e.start_ms) for e in entries] == [
        ("app", "code", 600_000), ("web", "github.com", 120_000), ("idle", "Idle", 480_000)]


def test_timeline_builder_closes_entries_after_15_minutes() -> None:
    builder = TimelineBuilder()
    out = []
    for minute in range(0, 40, 5):
        start = datetime(2026, 11, 26, 8, minute, tzinfo=UTC).isoformat()
        end = datetime(2026, 11, 26, 8, minute + 5, tzinfo=UTC).isoformat()
        out += builder.push(span(start, end))
    out += builder.flush()
    assert [e.end_ms - e.start_ms for e in out] == [900_000, 900_000, 600_000]
    assert all(e.client_id for e in out)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7200), st.sampled_from(["active", "idle", "locked", "offline"]),
                          st.sampled_from(["productive", "unproductive", "neutral", None])),
                min_size=1, max_size=60),
       st.sampled_from([date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 26)]))
def test_day_totals_never_exceed_the_day(parts: list, day: date) -> None:
    lo, hi = day_bounds_ms(day, BERLIN)
    start = lo - 3_600_000
    spans = []
    for seconds, status, category in parts:
        spans.append(Span(start_ms=start, end_ms=start + seconds * 1000, tz="Europe/Berlin", status=status,
                          category=category))
        start += seconds * 1000
    agg = compute_day(spans, day, BERLIN)
    p = agg.productivity
    inside = sum(max(0, min(sp.end_ms, hi) - max(sp.start_ms, lo)) for sp in spans if sp.status != "offline")
    total = p["productive_seconds"] + p["unproductive_seconds"] + p["neutral_seconds"] + p["idle_seconds"]
    assert abs(total * 1000 - inside) <= 4000      # rounding of four buckets
    assert 0 <= p["score"] <= 100
    assert agg.wellness["longest_streak_seconds"] <= (hi - lo) // 1000
