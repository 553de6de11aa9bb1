"""Build legacy (seed 002) databases for tests and benchmarks: ``weeks`` + ``tasks`` with TEXT durations."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

LEGACY_SCHEMA = """
CREATE TABLE weeks (
    id INTEGER PRIMARY KEY,
    week_label TEXT UNIQUE,
    week_start_day INTEGER,
    week_start_hour INTEGER,
    week_end_day INTEGER,
    week_end_hour INTEGER,
    is_custom_duration INTEGER,
    is_bonus_week INTEGER,
    bonus_rate REAL,
    bonus_threshold TEXT,
    notes TEXT
);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    week_id INTEGER,
    attempt_id TEXT,
    duration TEXT,
    project_id TEXT,
    project_name TEXT,
    operation_id TEXT,
    time_limit TEXT,
    date_audited TEXT,
    score INTEGER,
    feedback TEXT,
    locale TEXT,
    bonus_paid INTEGER,
    time_begin TEXT,
    time_end TEXT
);
"""

# (raw value, seconds it must import as, or None when it is unparseable and must warn)
DURATION_CASES: list[tuple[object, int | None]] = [
    ("01:30:00", 5400),
    ("1:02:03", 3723),
    ("00:00:59", 59),
    ("45:10", 2710),
    ("125:30", 7530),
    ("3600", 3600),
    (90, 90),
    ("", 0),
    (None, 0),
    ("  00:10:00 ", 600),
    ("abc", None),
    ("1:75:00", None),
    ("-5", None),
    ("1h30m", None),
    ("12:30:45:10", None),
]

PROJECTS = ["Alpha", "Bêta «quoted»", "O'Reilly \"Books\"", "日本語プロジェクト", "Ünïcødé 🚀", "plain"]


def create_legacy_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_SCHEMA)
    return conn


def build_messy_legacy_db(path: Path) -> dict[str, object]:
    """A small legacy DB with every duration format, unicode/quotes, an empty week, bad scores and an orphan.

    Returns facts the tests compare the import against.
    """
    conn = create_legacy_db(path)
    conn.executemany(
        "INSERT INTO weeks (id, week_label, week_start_day, week_start_hour, week_end_day, week_end_hour, "
        "is_custom_duration, is_bonus_week, bonus_rate, bonus_threshold, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (1, "Week 1 «α»", 0, 9, 4, 17, 0, 0, None, None, None),
            (2, "Week 2 'quotes' \"double\"", 1, 8, 5, 18, 1, 1, 12.5, "40:00:00", "bonus week"),
            (3, "Empty week", 0, 0, 6, 23, 0, 0, 0, "", ""),
        ],
    )
    tasks: list[tuple[object, ...]] = []
    task_id = 100
    for index, (raw, _) in enumerate(DURATION_CASES):
        task_id += 1
        week = 1 if index % 2 == 0 else 2
        tasks.append((task_id, week, f"att-{task_id}", raw, f"P{index % 3}", PROJECTS[index % len(PROJECTS)],
                      f"op-{index}", "00:30:00" if index % 3 else "bad-limit", "2026-03-0" + str(1 + index % 9),
                      [80, 100, None, "95", 150, "x"][index % 6], "feedback with 'quotes' and \"more\"", "de_DE",
                      index % 2, "2026-03-01T09:00:00", "2026-03-01T10:00:00"))
    # An orphan task whose week does not exist.
    tasks.append((999, 77, "orphan", "00:05:00", "P9", "Orphan project", "op", "", None, 50, None, None, 0,
                   None, None))
    conn.executemany("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tasks)
    conn.commit()
    conn.close()
    ids = range(101, 101 + len(DURATION_CASES))
    parseable = {raw_id: secs for raw_id, (_, secs) in zip(ids, DURATION_CASES, strict=True)}
    return {
        "weeks": 3,
        "tasks": len(tasks),
        "unparseable_task_ids": sorted(i for i, s in parseable.items() if s is None),
        "expected_seconds": {i: (s or 0) for i, s in parseable.items()} | {999: 300},
    }


def build_large_legacy_db(path: Path, weeks: int, tasks_per_week: int, seed: int = 7) -> int:
    """A big, clean legacy DB for the import benchmark; returns the number of tasks."""
    rng = random.Random(seed)
    conn = create_legacy_db(path)
    conn.executemany(
        "INSERT INTO weeks (id, week_label, week_start_day, week_start_hour, week_end_day, week_end_hour, "
        "is_custom_duration, is_bonus_week, bonus_rate, bonus_threshold, notes) VALUES (?,?,0,0,6,23,0,0,0,'','')",
        [(w, f"Legacy week {w}") for w in range(1, weeks + 1)],
    )
    rows = []
    task_id = 0
    for week in range(1, weeks + 1):
        for _ in range(tasks_per_week):
            task_id += 1
            seconds = rng.randint(60, 4 * 3600)
            duration = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
            rows.append((task_id, week, f"a{task_id}", duration, f"p{task_id % 20}", PROJECTS[task_id % 6],
                         f"o{task_id}", "02:00:00", "2026-01-05", rng.randint(0, 100), "ok", "en_US", 0,
                         "2026-01-05T09:00:00", "2026-01-05T10:00:00"))
    conn.executemany("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return task_id
