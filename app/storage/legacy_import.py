"""Import the pre-2026 database (seed 002: ``weeks`` + ``tasks`` with TEXT durations).

Rules: the legacy file is opened read-only and never modified; the whole import is one
transaction; running it twice imports nothing new; no row is dropped silently — every value
that could not be read is imported as 0 and listed with its legacy row id; the report ends with
a per-week check of task counts and summed durations against the source.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.domain.timeparse import MAX_DURATION_SECONDS, format_duration, parse_duration
from app.domain.weeks import iso_week_start, normalise_week_label
from app.errors import OperationCancelled, StorageError
from app.storage import repositories as repo
from app.storage.db import connect, translate_error, write_transaction

ORPHAN_WEEK_LABEL = "Imported tasks without a week"
# The legacy file's durations keep their old meaning (not the task dialog's "1:30 = 1 h 30 min").
DURATION_FORMATS = "durations read as HH:MM:SS, MM:SS (125:30 = 125 min 30 s) or plain seconds"
PROGRESS_EVERY = 2000


class ImportCancelled(OperationCancelled):
    """The user cancelled the import; nothing was written."""


@dataclass
class Warning:
    """One value of the old database that could not be imported as it was."""

    table: str
    id: int | None
    field: str
    value: Any
    problem: str


@dataclass
class WeekCheck:
    """Whether an imported week's totals match the old database's."""

    week_label: str
    source_tasks: int
    imported_tasks: int
    source_seconds: int
    imported_seconds: int

    @property
    def ok(self) -> bool:
        return self.source_tasks == self.imported_tasks and self.source_seconds == self.imported_seconds


@dataclass
class ImportReport:
    """What an import did: counts, warnings and the week checks, for the dialog and ``--json``."""

    source: str
    weeks_imported: int = 0
    tasks_imported: int = 0
    tasks_skipped: int = 0
    warnings: list[Warning] = field(default_factory=list)
    checks: list[WeekCheck] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weeks_imported": self.weeks_imported,
            "tasks_imported": self.tasks_imported,
            "tasks_skipped": self.tasks_skipped,
            "warnings": [asdict(w) for w in self.warnings],
            "verification": {
                "ok": self.verified,
                "weeks": [{**asdict(c), "ok": c.ok} for c in self.checks],
            },
        }

    def to_text(self) -> str:
        lines = [f"Legacy import from {self.source}", f"  ({DURATION_FORMATS}, as the old app stored them)"]
        if self.weeks_imported == 0 and self.tasks_imported == 0 and self.tasks_skipped:
            lines.append(f"Nothing new: all {self.tasks_skipped:,} tasks were imported before.")
        lines.append(f"  weeks imported: {self.weeks_imported:,}")
        lines.append(f"  tasks imported: {self.tasks_imported:,}")
        lines.append(f"  tasks skipped (already imported): {self.tasks_skipped:,}")
        if self.warnings:
            lines.append(f"  warnings ({len(self.warnings):,}):")
            for w in self.warnings:
                lines.append(f"    {w.table} id {w.id}: {w.field} = {w.value!r}: {w.problem}")
        bad = [c for c in self.checks if not c.ok]
        lines.append(
            f"Check: {len(self.checks):,} weeks compared with the source, task counts and durations "
            + ("match." if not bad else f"DIFFER in {len(bad)} week(s):")
        )
        for c in bad:
            lines.append(f"    {c.week_label}: source {c.source_tasks} tasks / {c.source_seconds} s, "
                         f"imported {c.imported_tasks} tasks / {c.imported_seconds} s")
        return "\n".join(lines)


def open_legacy(path: Path) -> sqlite3.Connection:
    """Open the legacy file strictly read-only and check it has the tables we need."""
    if not path.is_file():
        raise StorageError(f"{path}: no such file")
    try:
        conn = connect(path, read_only=True)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise translate_error(exc, path) from exc
    missing = {"weeks", "tasks"} - tables
    if missing:
        conn.close()
        raise StorageError(f"{path}: not a legacy WFH Agent database (missing table {', '.join(sorted(missing))})")
    for table, needed in (("weeks", {"id", "week_label"}), ("tasks", {"id", "week_id", "duration"})):
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if not needed <= columns:
            conn.close()
            raise StorageError(f"{path}: table {table} lacks column(s) {', '.join(sorted(needed - columns))}")
    return conn


def _seconds(report: ImportReport, table: str, row_id: int | None, fieldname: str, raw: Any) -> tuple[int, bool]:
    """(seconds, parseable). Unparseable or absurd values import as 0 with a warning."""
    try:
        seconds = parse_duration(raw)
    except ValueError:
        report.warnings.append(Warning(table, row_id, fieldname, raw, "unparseable duration, imported as 0"))
        return 0, False
    if seconds > MAX_DURATION_SECONDS:
        report.warnings.append(Warning(table, row_id, fieldname, raw, "more than 1000 hours, imported as 0"))
        return 0, False
    return seconds, True


def _score(report: ImportReport, row_id: int, raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None  # no score: left out of the averages
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        value = None
    if value is None or isinstance(raw, bool) or not 0 <= value <= 100:
        report.warnings.append(Warning("tasks", row_id, "score", raw, "not a score from 0 to 100, imported as 0"))
        return 0
    return value


def _date(report: ImportReport, row_id: int, raw: Any) -> str | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    for parse in (lambda t: date.fromisoformat(t[:10]), lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    report.warnings.append(Warning("tasks", row_id, "date_audited", raw, "not a date, kept as text"))
    return text


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    return str(raw).replace("\x00", "")


def _as_int(raw: Any) -> int:
    """An id stored as integer, integral real or digit text; anything else raises ValueError."""
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if raw is None or isinstance(raw, bool | float):
        raise ValueError(f"not an id: {raw!r}")
    return int(str(raw).strip())


def _flag(raw: Any) -> int:
    try:
        return 1 if int(raw or 0) else 0
    except (TypeError, ValueError):
        return 1 if str(raw).strip().lower() in ("true", "yes", "y") else 0


def _int_or(raw: Any, default: int, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def import_legacy(
    conn: sqlite3.Connection,
    legacy_path: Path | str,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ImportReport:
    """Copy a legacy database into the current one (``conn``) in one transaction."""
    legacy_path = Path(legacy_path)
    report = ImportReport(source=str(legacy_path))
    source = open_legacy(legacy_path)
    try:
        weeks = [dict(r) for r in source.execute("SELECT * FROM weeks ORDER BY id")]
        tasks = [dict(r) for r in source.execute("SELECT * FROM tasks ORDER BY id")]
    except sqlite3.DatabaseError as exc:
        raise translate_error(exc, legacy_path) from exc
    finally:
        source.close()
    total = len(tasks)
    with write_transaction(conn):
        week_map = _import_weeks(conn, weeks, report)
        known_tasks = {r[0] for r in conn.execute("SELECT legacy_id FROM tasks_optimized WHERE legacy_id IS NOT NULL")}
        expected: dict[int, list[int]] = {}  # new week id -> [task count, parseable seconds] from the source
        rows: list[tuple[Any, ...]] = []
        for done, task in enumerate(tasks, start=1):
            if should_cancel is not None and done % 500 == 0 and should_cancel():
                raise ImportCancelled("import cancelled; nothing was imported")
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
            row = _task_row(conn, task, week_map, report)
            week_id = row[0]
            tally = expected.setdefault(week_id, [0, 0])
            tally[0] += 1
            tally[1] += row[2]
            if task["id"] in known_tasks:
                report.tasks_skipped += 1
                continue
            rows.append(row)
        before = conn.execute("SELECT COALESCE(MAX(id), 0) FROM tasks_optimized").fetchone()[0]
        conn.executemany(
            """INSERT INTO tasks_optimized (week_id, attempt_id, duration_seconds, duration_display, project_id,
                   project_name, operation_id, time_limit_seconds, time_limit_display, date_audited, score,
                   feedback, locale, bonus_paid, time_begin, time_end, legacy_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
        report.tasks_imported = len(rows)
        conn.execute(
            """INSERT INTO task_events (task_id, event_type, event_data, duration_change, user_action)
               SELECT id, 'task_created', json_object('legacy_id', legacy_id, 'source', ?), duration_seconds, 'import'
               FROM tasks_optimized WHERE id > ?""",
            (legacy_path.name, before),
        )
        for week_id in set(week_map.values()) | set(expected):
            repo.refresh_week_statistics(conn, week_id)
        report.checks = _verify(conn, expected, week_map)
        repo.bump_generation(conn)  # an open window on this profile re-reads (it may be another process)
        if progress is not None:
            progress(total, total)
    return report


def _import_weeks(conn: sqlite3.Connection, weeks: list[dict[str, Any]], report: ImportReport) -> dict[int, int]:
    """Legacy week id -> new week id; a label that already exists locally is reused (with a warning)."""
    mapping: dict[int, int] = {}
    for week in weeks:
        legacy_id = int(week["id"])
        existing = conn.execute("SELECT id FROM weeks WHERE legacy_id = ?", (legacy_id,)).fetchone()
        if existing:
            mapping[legacy_id] = int(existing[0])
            continue
        label = _text(week.get("week_label")) or f"Legacy week {legacy_id}"
        label = label.strip() or f"Legacy week {legacy_id}"
        same_label = repo.week_id_by_label(conn, label)
        if same_label is not None:
            report.warnings.append(Warning("weeks", legacy_id, "week_label", label,
                                           "a week with this label exists; its tasks were added to it"))
            mapping[legacy_id] = same_label
            continue
        threshold, _ = _seconds(report, "weeks", legacy_id, "bonus_threshold", week.get("bonus_threshold"))
        try:
            rate = max(0.0, float(week.get("bonus_rate") or 0.0))
        except (TypeError, ValueError):
            report.warnings.append(Warning("weeks", legacy_id, "bonus_rate", week.get("bonus_rate"),
                                           "not a number, imported as 0"))
            rate = 0.0
        start = iso_week_start(label)
        values = {
            "week_label": normalise_week_label(label),
            "start_date": start.isoformat() if start else None,
            "week_start_day": _int_or(week.get("week_start_day"), 0, 0, 6),
            "week_start_hour": _int_or(week.get("week_start_hour"), 0, 0, 23),
            "week_end_day": _int_or(week.get("week_end_day"), 6, 0, 6),
            "week_end_hour": _int_or(week.get("week_end_hour"), 23, 0, 23),
            "is_custom_duration": _flag(week.get("is_custom_duration")),
            "is_bonus_week": _flag(week.get("is_bonus_week")),
            "bonus_rate": rate,
            "bonus_threshold_seconds": threshold,
            "notes": _text(week.get("notes")) or "",
            "legacy_id": legacy_id,
        }
        mapping[legacy_id] = repo.insert_week(conn, values)
        report.weeks_imported += 1
    return mapping


def _orphan_week(conn: sqlite3.Connection, report: ImportReport, week_map: dict[int, int]) -> int:
    if -1 not in week_map:
        existing = repo.week_id_by_label(conn, ORPHAN_WEEK_LABEL)
        if existing is None:
            existing = repo.insert_week(conn, {"week_label": ORPHAN_WEEK_LABEL})
            report.weeks_imported += 1
        week_map[-1] = existing
    return week_map[-1]


def _task_row(conn: sqlite3.Connection, task: dict[str, Any], week_map: dict[int, int],
              report: ImportReport) -> tuple[Any, ...]:
    task_id = int(task["id"])
    legacy_week = task.get("week_id")
    try:
        week_id = week_map[_as_int(legacy_week)]
    except (TypeError, ValueError, KeyError):
        week_id = _orphan_week(conn, report, week_map)
        report.warnings.append(Warning("tasks", task_id, "week_id", legacy_week,
                                       f"no such week; imported into '{ORPHAN_WEEK_LABEL}'"))
    duration, _ = _seconds(report, "tasks", task_id, "duration", task.get("duration"))
    limit, _ = _seconds(report, "tasks", task_id, "time_limit", task.get("time_limit"))
    return (
        week_id, _text(task.get("attempt_id")), duration, format_duration(duration), _text(task.get("project_id")),
        _text(task.get("project_name")), _text(task.get("operation_id")), limit, format_duration(limit),
        _date(report, task_id, task.get("date_audited")), _score(report, task_id, task.get("score")),
        _text(task.get("feedback")), _text(task.get("locale")), _flag(task.get("bonus_paid")),
        _text(task.get("time_begin")), _text(task.get("time_end")), task_id,
    )


def _verify(conn: sqlite3.Connection, expected: dict[int, list[int]], week_map: dict[int, int]) -> list[WeekCheck]:
    """Compare, per week, the source's task count and parseable seconds with what is stored now."""
    checks = []
    for week_id in sorted(set(week_map.values()) | set(expected)):
        source_count, source_seconds = expected.get(week_id, [0, 0])
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(duration_seconds), 0) FROM tasks_optimized "
            "WHERE week_id = ? AND legacy_id IS NOT NULL AND deleted_at IS NULL",
            (week_id,),
        ).fetchone()
        label = conn.execute("SELECT week_label FROM weeks WHERE id = ?", (week_id,)).fetchone()[0]
        checks.append(WeekCheck(label, source_count, int(row[0]), source_seconds, int(row[1])))
    return checks


def report_json(report: ImportReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
