"""Span merger: extension, closing rules, gaps, clock jumps, idle back-dating, invariants."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from app.monitor.spans import Sample, Span, SpanMerger

T0 = 1_790_000_000.0  # 2026-09-21, any fixed instant


def s(offset: float, title: str = "a", *, mono: float | None = None, status: str = "active",
      app: str = "code", idle: float = 0.0, cpu: float = 10.0) -> Sample:
    return Sample(wall=T0 + offset, mono=offset if mono is None else mono, status=status,
                  process_name=app, window_title=title, cpu_percent=cpu, memory_percent=50.0,
                  idle_seconds=idle, tz="Europe/Berlin")


def run(merger: SpanMerger, samples: list[Sample]) -> list[Span]:
    out: list[Span] = []
    for sample in samples:
        out.extend(merger.push(sample))
    out.extend(merger.flush())
    return out


def assert_tiled(spans: list[Span]) -> None:
    for span in spans:
        assert span.end_ms > span.start_ms
        uuid.UUID(span.client_id, version=4)
        assert span.client_id == span.client_id.lower()
    for left, right in zip(spans, spans[1:], strict=False):
        assert left.end_ms == right.start_ms, (left, right)


def test_equal_samples_extend_one_span_and_change_closes_at_the_change() -> None:
    spans = run(SpanMerger(5), [s(0), s(5), s(10), s(15, "b"), s(20, "b")])
    assert [(sp.window_title, sp.duration_ms) for sp in spans] == [("a", 15_000), ("b", 5_000)]
    assert spans[0].cpu_percent == 10.0 and spans[0].tz == "Europe/Berlin"
    assert_tiled(spans)


def test_300_seconds_close_a_span_in_any_case() -> None:
    spans = run(SpanMerger(5), [s(i * 5) for i in range(0, 141)])  # 700 s of the same window
    assert [sp.duration_ms for sp in spans] == [300_000, 300_000, 100_000]
    assert len({sp.client_id for sp in spans}) == 3
    assert_tiled(spans)


def test_wall_gap_closes_span_and_writes_offline_span_for_suspend() -> None:
    # Monotonic clock stands still while suspended; the wall clock moves 1 h.
    spans = run(SpanMerger(5), [s(0), s(5), s(3605, mono=10), s(3610, mono=15)])
    assert [(sp.status, sp.duration_ms) for sp in spans] == [
        ("active", 5_000), ("offline", 3_600_000), ("active", 5_000)]
    assert_tiled(spans)


def test_monotonic_gap_alone_also_closes() -> None:
    spans = run(SpanMerger(5), [s(0), s(5), s(11, mono=60)])
    assert [(sp.status, sp.duration_ms) for sp in spans] == [("active", 5_000), ("offline", 6_000)]
    assert_tiled(spans)


def test_long_gap_is_split_into_offline_spans_of_at_most_one_day() -> None:
    spans = run(SpanMerger(5), [s(0), s(5), s(5 + 2.5 * 86_400, mono=10), s(10 + 2.5 * 86_400, mono=15)])
    offline = [sp for sp in spans if sp.status == "offline"]
    assert [sp.duration_ms for sp in offline] == [86_400_000, 86_400_000, 43_200_000]
    assert_tiled(spans)


def test_clock_jumping_back_one_hour_never_overlaps_or_goes_negative() -> None:
    samples = [s(0), s(5), s(10, "b")]
    samples += [s(-3600 + 15 + 5 * i, "c" if i < 3 else "d", mono=15 + 5 * i) for i in range(20)]
    spans = run(SpanMerger(5), samples)
    assert_tiled(spans)
    assert all(sp.start_ms >= int(T0 * 1000) for sp in spans)


def test_clock_jumping_forward_one_hour_becomes_an_offline_span() -> None:
    spans = run(SpanMerger(5), [s(0), s(5), s(3610, mono=10), s(3615, mono=15)])
    assert [sp.status for sp in spans] == ["active", "offline", "active"]
    assert sum(sp.duration_ms for sp in spans) == 3_615_000
    assert_tiled(spans)


def test_idle_time_before_the_threshold_is_reattributed_to_idle() -> None:
    merger = SpanMerger(5, hold_seconds=185)
    samples = [s(i * 5) for i in range(0, 13)]                       # active 0..60
    samples += [s(60 + i * 5, idle=i * 5) for i in range(1, 36)]     # no input from 60 s
    samples += [s(240, status="idle", idle=180), s(245, status="idle", idle=185)]
    samples += [s(250, "back")]
    spans = run(merger, samples)
    base = int(T0 * 1000)
    assert [(sp.status, sp.start_ms - base, sp.end_ms - base) for sp in spans] == [
        ("active", 0, 60_000), ("idle", 60_000, 250_000)]
    assert spans[1].process_name == "" and spans[1].window_title == ""
    assert_tiled(spans)


def test_idle_reattribution_reaches_into_spans_closed_by_the_300_s_cap() -> None:
    merger = SpanMerger(5, hold_seconds=185)
    samples = [s(i * 5) for i in range(0, 51)]                             # active to 250 s
    samples += [s(250 + i * 5, idle=i * 5) for i in range(1, 36)]          # no input from 250 s
    samples += [s(430, status="idle", idle=180), s(440, status="idle", idle=190)]
    spans = run(merger, samples)
    base = int(T0 * 1000)
    assert [(sp.status, sp.start_ms - base, sp.end_ms - base) for sp in spans] == [
        ("active", 0, 250_000), ("idle", 250_000, 440_000)]


def test_held_back_spans_are_released_after_the_hold() -> None:
    merger = SpanMerger(5, hold_seconds=20)
    released = []
    for sample in [s(0), s(5, "b"), s(10, "c"), s(15, "c"), s(20, "c"), s(25, "c"), s(30, "c")]:
        released.extend(merger.push(sample))
    assert [sp.window_title for sp in released] == ["a", "b"]   # "b" ended at 10 s = 30 - 20
    assert merger.push(s(35, "d")) == []                          # "c" ended at 35 s: held
    assert merger.open_span is not None and merger.open_span.window_title == "d"


def test_locked_samples_drop_app_and_title() -> None:
    spans = run(SpanMerger(5), [s(0), s(5, status="locked"), s(10, status="locked"), s(15)])
    assert [(sp.status, sp.process_name) for sp in spans] == [("active", "code"), ("locked", "")]


def test_short_pause_after_flush_keeps_spans_tiled() -> None:
    merger = SpanMerger(5)
    out = merger.push(s(0)) + merger.push(s(5)) + merger.flush()
    out += merger.push(s(9, "b")) + merger.push(s(14, "b")) + merger.flush()
    assert_tiled(out)
    assert sum(sp.duration_ms for sp in out) == 14_000


# ---- invariants ------------------------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.one_of(st.floats(0.1, 12), st.floats(-4000, 4000), st.just(5.0)),  # wall step
        st.one_of(st.floats(0.1, 12), st.floats(12, 200000), st.just(5.0)),   # mono step
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["active", "active", "idle", "locked"]),
        st.floats(0, 400),
    ),
    min_size=1, max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps, hold=st.sampled_from([0, 20, 185]))
def test_spans_never_overlap_and_time_is_conserved(steps: list, hold: int) -> None:
    merger = SpanMerger(5, hold_seconds=hold)
    wall, mono = T0, 0.0
    first = int(round(wall * 1000))
    out: list[Span] = list(merger.push(Sample(wall=wall, mono=mono)))
    high = first
    for dwall, dmono, title, status, idle in steps:
        wall += dwall
        mono += dmono
        high = max(high, int(round(wall * 1000)))
        out.extend(merger.push(Sample(wall=wall, mono=mono, status=status, window_title=title,
                                      idle_seconds=idle if status == "idle" else 0.0)))
    out.extend(merger.flush())
    for span in out:
        assert span.end_ms > span.start_ms
        assert span.end_ms - span.start_ms <= 86_400_000
        if span.status != "offline":
            assert span.end_ms - span.start_ms <= 300_000
    for left, right in zip(out, out[1:], strict=False):
        assert left.end_ms == right.start_ms
    if out:
        assert out[0].start_ms == first
        assert sum(sp.duration_ms for sp in out) == out[-1].end_ms - first
        assert out[-1].end_ms == high
    assert len({sp.client_id for sp in out}) == len(out)
