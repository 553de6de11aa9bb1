"""What the worklog outbox triggers (issue 18) cost a bulk import: ``DataService.write_tasks`` of 100,000 rows
(the CSV import's write) into a database with every migration, and into one without the ``worklog_sync``
migration (no triggers, no outbox), alternated in one process so both see the same machine load.

Run: ``python tests/bench/bench_outbox_triggers.py [rows] [rounds]``. Prints each round and the median ratio.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.storage import migrate  # noqa: E402
from app.storage.db import ConnectionFactory, connect  # noqa: E402


def database(path: Path, *, with_outbox: bool) -> ConnectionFactory:
    shipped = migrate.load_migrations()
    chosen = shipped if with_outbox else [m for m in shipped if m.version < next(
        x.version for x in shipped if x.name == "worklog_sync")]
    conn = connect(path)
    migrate.migrate(conn, chosen)
    conn.close()
    return ConnectionFactory(path)


def write(factory: ConnectionFactory, rows: list[dict[str, object]]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``write_tasks`` (CPU time is less disturbed by the other sessions' load)."""
    from app.services.data_service import DataService

    data = DataService(factory)
    week = data.create_week("Import")
    start, cpu = time.perf_counter(), time.process_time()
    data.write_tasks(week, rows, user_action="import")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    factory.close_all()
    return elapsed, cpu


def main() -> None:
    from PySide6.QtCore import QCoreApplication

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    app = QCoreApplication.instance() or QCoreApplication([])
    rows: list[dict[str, object]] = [{"project_name": f"Project {i % 37}", "attempt_id": f"a-{i}",
                                      "duration": "00:07:30", "score": i % 101, "feedback": f"row {i}, fine"}
                                     for i in range(count)]
    folder = Path(tempfile.mkdtemp(prefix="wfh-trigger-bench-"))
    print(f"# Outbox trigger cost — {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.2f}")
    walls, cpus = [], []
    for index in range(rounds):
        without, without_cpu = write(database(folder / f"without-{index}.db", with_outbox=False), rows)
        with_, with_cpu = write(database(folder / f"with-{index}.db", with_outbox=True), rows)
        queued = sqlite3.connect(folder / f"with-{index}.db").execute("SELECT COUNT(*) FROM tasks_outbox").fetchone()
        assert queued[0] == count, queued
        walls.append(with_ / without)
        cpus.append(with_cpu / without_cpu)
        print(f"round {index + 1}: {count:,} tasks without the outbox {without:.2f} s (CPU {without_cpu:.2f} s), "
              f"with it {with_:.2f} s (CPU {with_cpu:.2f} s; all {queued[0]:,} queued): wall ratio "
              f"{with_ / without:.2f}, CPU ratio {with_cpu / without_cpu:.2f}")
    print(f"median ratio with/without: wall {statistics.median(walls):.2f}, CPU {statistics.median(cpus):.2f}")
    del app


if __name__ == "__main__":
    main()
