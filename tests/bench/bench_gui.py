"""Desktop GUI benchmark (issue 4). Run: ``python tests/bench/bench_gui.py`` (offscreen by default).

On the standard 107,000-task profile (1,000 weeks × 100 tasks, four 500-task weeks, one
5,000-task week) it measures, on the real MainWindow: opening the 5,000-task week to its first
paint (cold cache), switching between 500-task weeks with a warm cache, editing one task (table
row + statistics updated, ``modelReset`` counted), filtering and sorting the big week, the
process RSS, and the longest event-loop stall seen by a 5 ms QTimer probe during all of it.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402
from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.ui.context import AppContext  # noqa: E402
from app.ui.launch import make_application  # noqa: E402
from app.ui.shell import Shell  # noqa: E402
from app.ui.tasks.columns import COLUMN_INDEX  # noqa: E402


class StallProbe:
    """A 5 ms repeating timer; the longest gap between two timeouts is the longest GUI stall."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.last = 0
        self.worst = 0
        self.worst_during = ""
        self.gaps: list[int] = []
        self.label = "startup: first paint of the window"

    def start(self) -> None:
        self.clock.start()
        self.last = 0
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.elapsed()
        gap = now - self.last
        self.gaps.append(gap)
        if gap > self.worst:
            self.worst, self.worst_during = gap, self.label
        self.last = now


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def run_in_loop(app: QApplication, probe: StallProbe, label: str, action: Callable[[], Any],
                settle_ms: int = 30) -> Any:
    """Run ``action`` from inside the event loop (so the probe sees its stall), then let events settle."""
    result: dict[str, Any] = {}

    def go() -> None:
        probe.label = label
        result["value"] = action()

    QTimer.singleShot(0, go)
    deadline = time.perf_counter() + settle_ms / 1000
    while "value" not in result or time.perf_counter() < deadline:
        app.processEvents()
    return result["value"]


def generate_in_child(profile_dir: Path) -> dict[str, list[int]]:
    """Build the standard 107,000-task profile in a separate process and return its week ids."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[2])\n"
        "from app.profile import Profile\n"
        "from tests.support.bigdb import standard_big_db\n"
        "p = Profile.open(sys.argv[1]); print(json.dumps(standard_big_db(p.db.get()))); p.close()\n"
    )
    repo = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code, str(profile_dir), repo], check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    app = make_application()
    app.setStyle("Fusion")
    folder = Path(tempfile.mkdtemp(prefix="wfh-gui-bench-"))
    t0 = time.perf_counter()
    weeks = generate_in_child(folder / "profile")  # so this process's RSS is the app's alone
    generated = time.perf_counter() - t0
    context = AppContext.open(folder / "profile")
    total = context.profile.db.get().execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0]
    print(f"# Desktop GUI benchmark — {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, Qt platform {app.platformName()}, SQLite {sqlite3.sqlite_version}")
    print(f"data set: {total:,} tasks in {len(weeks['normal']) + 5:,} weeks (generated in {generated:.1f} s), "
          f"load average {os.getloadavg()[0]:.2f}")
    huge, medium = weeks["huge"][0], weeks["medium"]
    start = time.perf_counter()
    shell = Shell(context, use_tray=False)
    window = shell.window
    window.resize(1400, 850)
    window.show()
    window.repaint()
    startup = time.perf_counter() - start
    probe = StallProbe()
    probe.start()
    for _ in range(20):
        app.processEvents()
    print(f"\nmain window created and painted (weeks list of 1,005, newest week selected): {ms(startup)}")
    tasks = window.tasks
    resets: list[str] = []
    tasks.model.modelReset.connect(lambda: resets.append("model"))
    tasks.proxy.modelReset.connect(lambda: resets.append("proxy"))

    rows_at_paint: list[int] = []

    cpu: list[float] = []  # GUI-thread CPU time of the last actions: immune to other processes' load

    def open_week(week_id: int) -> float:
        start, start_cpu = time.perf_counter(), time.thread_time()
        window.weeks.select_week(week_id)
        tasks.table.viewport().repaint()  # the first paint of the new rows, synchronously
        elapsed = time.perf_counter() - start
        cpu.append(time.thread_time() - start_cpu)
        rows_at_paint.append(tasks.model.rowCount())
        return elapsed

    run_in_loop(app, probe, "open a 100-task week", lambda: open_week(weeks["normal"][0]))  # start elsewhere
    context.cache.invalidate_all()
    first_paint = run_in_loop(app, probe, "open 5,000-task week", lambda: open_week(huge), settle_ms=0)
    first_rows = rows_at_paint[-1]
    first_cpu = cpu[-1]
    start = time.perf_counter()
    while tasks.model.canFetchMore():
        app.processEvents()
    fill_all = time.perf_counter() - start
    probe.label = "idle between actions"
    print(f"\nopen the 5,000-task week, cold cache, to first paint: {ms(first_paint)} (CPU {ms(first_cpu)}) "
          f"({first_rows} rows in the first page; the other {5000 - first_rows:,} load one "
          f"{tasks.model.PAGE_SIZE}-row page per event-loop turn, all in {ms(fill_all)})")

    for week in medium:  # warm the cache for every 500-task week
        run_in_loop(app, probe, "warm-up", lambda week=week: open_week(week))
    switches = []
    cpu.clear()
    for i in range(40):
        week = medium[i % len(medium)]
        switches.append(run_in_loop(app, probe, "switch 500-task weeks", lambda week=week: open_week(week)))
    print(f"switch between 500-task weeks, warm cache, to first paint: median {ms(statistics.median(switches))}, "
          f"max {ms(max(switches))} (n={len(switches)}); GUI-thread CPU median {ms(statistics.median(cpu))}, "
          f"max {ms(max(cpu))}")

    run_in_loop(app, probe, "open 5,000-task week", lambda: open_week(huge))
    while tasks.model.canFetchMore():
        app.processEvents()
    resets.clear()
    cpu.clear()
    edits = []
    writes: list[float] = []
    write_started: list[float] = []
    # The edited row's dataChanged: the time up to it = the write + the table row's update.
    tasks.model.dataChanged.connect(lambda *_: writes.append(time.perf_counter() - write_started[-1]))
    for n in range(20):
        task = tasks.model.task_at(n * 7)

        def edit(task: Any = task, n: int = n) -> float:
            start, start_cpu = time.perf_counter(), time.thread_time()
            write_started.append(start)
            context.data.update_task_duration(task.id, 600 + n, method="manual")
            tasks.table.viewport().repaint()
            cpu.append(time.thread_time() - start_cpu)
            return time.perf_counter() - start

        edits.append(run_in_loop(app, probe, "edit one task", edit))
    stats_total = window.statistics.analytics.total_duration_seconds if window.statistics.analytics else -1
    assert stats_total == context.data.get_week_analytics(huge).total_duration_seconds
    print(f"edit one task in the 5,000-task week (write + row + statistics + repaint): median "
          f"{ms(statistics.median(edits))}, max {ms(max(edits))} (n={len(edits)}); "
          f"modelReset emitted {len(resets)} times; GUI-thread CPU median {ms(statistics.median(cpu))}, "
          f"max {ms(max(cpu))}")
    print(f"  of which the DB write + table row update: median {ms(statistics.median(writes))}, "
          f"max {ms(max(writes))}; the rest is statistics view, weeks list and repaint")

    def timed_action(label: str, action: Callable[[], None]) -> str:
        def go() -> str:
            start, start_cpu = time.perf_counter(), time.thread_time()
            action()
            tasks.table.viewport().repaint()
            return f"{ms(time.perf_counter() - start)} (CPU {ms(time.thread_time() - start_cpu)})"
        return str(run_in_loop(app, probe, label, go))

    filter_time = timed_action("filter 5,000 rows", lambda: tasks.filter_edit.setText("op-42"))
    shown = tasks.proxy.rowCount()
    clear_time = timed_action("clear filter", lambda: tasks.filter_edit.clear())
    sort_time = timed_action("sort 5,000 rows", lambda: tasks.table.sortByColumn(COLUMN_INDEX["duration"],
                                                                                   Qt.SortOrder.DescendingOrder))
    unsort_time = timed_action("sort 5,000 rows", lambda: tasks.table.sortByColumn(COLUMN_INDEX["project_name"],
                                                                                     Qt.SortOrder.AscendingOrder))
    stats_time = timed_action("show statistics tab", lambda: window.tabs.setCurrentWidget(window.statistics))
    print(f"filter the 5,000-task week by text: {filter_time}, {shown} rows shown; clear: {clear_time}")
    print(f"sort the 5,000-task week by duration: {sort_time}; by project: {unsort_time}")
    print(f"switch to the statistics tab (chart + table): {stats_time}")

    rss = psutil.Process().memory_info().rss / 2**20
    print(f"\nRSS with the 107,000-task DB open and the 5,000-task week loaded: {rss:.0f} MB")
    gaps = sorted(probe.gaps)
    over = sum(1 for g in gaps if g > 50)
    print(f"event-loop stalls (5 ms QTimer probe, {len(gaps):,} gaps) over all of the above: longest {probe.worst} ms "
          f"during “{probe.worst_during}”; p99 {gaps[int(len(gaps) * 0.99)]} ms; {over} gap(s) over 50 ms")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other sessions share this 2-core machine)")
    shell.quit()
    context.close()


if __name__ == "__main__":
    main()
