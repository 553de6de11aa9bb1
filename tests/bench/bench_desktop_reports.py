"""Desktop range-report benchmark (issue 15): 100,000 tasks over 52 weeks, one year's report.

Run: ``python tests/bench/bench_desktop_reports.py [tasks]`` (offscreen by default). Prints, per grouping,
the median time of ``build_report`` for the whole year and for one week (the Reports tab's default), beside
the same run's baseline: the Statistics tab's read of one week (``get_week_analytics``, uncached), and the same
reports with the report-day index dropped (what they cost without the migration). Then the
real Reports tab rebuilds the year five times while a 5 ms QTimer probe watches the GUI event loop: the
longest stall shows whether building on a worker thread keeps the window responsive.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.domain.reports import GROUPINGS, DateRange  # noqa: E402
from app.services.reports import build_report  # noqa: E402
from app.storage.repositories import refresh_week_statistics  # noqa: E402
from app.ui.context import AppContext  # noqa: E402
from app.ui.launch import make_application  # noqa: E402
from app.ui.reports.view import ReportsView  # noqa: E402
from tests.bench.bench_gui import StallProbe  # noqa: E402

YEAR = DateRange(date(2026, 1, 1), date(2026, 12, 31))
ONE_WEEK = DateRange(date(2026, 11, 23), date(2026, 11, 29))


def fill(context: AppContext, count: int) -> int:
    conn = context.profile.db.get()
    first = date(2025, 12, 29)  # Monday of 2026-W01
    conn.execute("BEGIN")
    weeks = []
    for index in range(52):
        start = first + timedelta(weeks=index)
        cursor = conn.execute("INSERT INTO weeks (week_label, start_date, is_bonus_week, bonus_rate) "
                              "VALUES (?, ?, ?, 5.0)", (f"2026-W{index + 1:02d}", start.isoformat(), index % 2))
        weeks.append((int(cursor.lastrowid or 0), start))
    rows = []
    for i in range(count):
        week_id, start = weeks[i % 52]
        day = start + timedelta(days=i % 7)
        rows.append((week_id, f"Project {i % 37}", 300 + i % 3000, None if i % 10 == 0 else i % 101,
                     0 if i % 3 else 1800, day.isoformat(), f"loc_{i % 5}"))
    conn.executemany("INSERT INTO tasks_optimized (week_id, project_name, duration_seconds, score, "
                     "time_limit_seconds, date_audited, locale) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    for week_id, _start in weeks:
        refresh_week_statistics(conn, week_id)
    conn.execute("COMMIT")
    return weeks[47][0]


def median_ms(function: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    app = make_application()
    folder = Path(tempfile.mkdtemp(prefix="wfh-report-bench-"))
    context = AppContext.open(folder / "profile")
    week_id = fill(context, count)
    conn = context.profile.db.get()
    print(f"{count:,} tasks, 52 weeks; {platform.python_implementation()} {platform.python_version()}")

    def stats_tab() -> None:
        context.cache.invalidate_all()
        context.data.get_week_analytics(week_id)

    baseline = median_ms(stats_tab)
    print(f"baseline: Statistics tab, one week (uncached)   {baseline:8.2f} ms")
    for by in GROUPINGS:
        year = median_ms(lambda by=by: build_report(conn, YEAR, by))
        week = median_ms(lambda by=by: build_report(conn, ONE_WEEK, by))
        print(f"report by {by:<8} year {year:8.2f} ms ({year / baseline:6.1f}x)   "
              f"one week {week:8.2f} ms ({week / baseline:6.1f}x)")
    index_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'idx_tasks_report_day'").fetchone()[0]
    conn.execute("DROP INDEX idx_tasks_report_day")  # same run, same data: what the report costs without it
    for by in ("project", "day"):
        year = median_ms(lambda by=by: build_report(conn, YEAR, by), repeat=3)
        week = median_ms(lambda by=by: build_report(conn, ONE_WEEK, by), repeat=3)
        print(f"without idx_tasks_report_day, by {by:<8} year {year:8.2f} ms   one week {week:8.2f} ms")
    conn.execute(index_sql)
    view = ReportsView(context.profile, context.data, context.state, today=lambda: date(2026, 11, 26))
    view.resize(1100, 700)
    view.show()
    view.set_range(YEAR.start, YEAR.end)
    while view.jobs:
        app.processEvents()
    idle = StallProbe()  # same-run baseline: the event loop doing nothing for as long, on this loaded machine
    idle.start()
    settle_until = time.perf_counter() + 5.0
    while time.perf_counter() < settle_until:
        app.processEvents()
    idle.timer.stop()
    on_gui = StallProbe()  # what building on the GUI thread would cost: the build is one stall
    on_gui.start()
    app.processEvents()
    build_report(conn, YEAR, "locale")
    app.processEvents()
    on_gui.timer.stop()
    probe = StallProbe()
    probe.start()
    began = time.perf_counter()
    for by in ("project", "day", "week", "locale", "project"):
        view.set_grouping(by)  # starts the rebuild on the worker thread
        while view.jobs:
            app.processEvents()
    elapsed = time.perf_counter() - began
    probe.timer.stop()
    print(f"GUI stall, idle event loop 5 s (baseline)          {idle.worst:5d} ms")
    print(f"GUI stall, year by locale built on the GUI thread   {on_gui.worst:5d} ms")
    print(f"GUI stall, Reports tab: 5 year rebuilds on a worker {probe.worst:5d} ms ({elapsed:.1f} s in all)")
    view.close()
    context.close()


if __name__ == "__main__":
    main()
