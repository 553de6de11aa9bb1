"""CSV and JSON files of tasks: writing an export and reading a CSV back with per-row errors.

Plain functions over a connection of the calling thread, so they run on a worker thread. The
CSV columns are the seed's task fields with durations as ``HH:MM:SS``; an export of every
week adds ``week_label`` first. Reading validates each row with the services' own rules.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain import validation
from app.domain.models import Task, Week
from app.errors import ValidationError
from app.services.duplicates import Fingerprint, TaskKey, fingerprint, task_key
from app.services.json_import import FORMAT, TASK_FIELDS, VERSION, WEEK_FIELDS
from app.storage import repositories as repo
from app.version import __version__

Progress = Callable[[int, int], None]
_FLAGS = {"0": 0, "1": 1, "no": 0, "yes": 1, "false": 0, "true": 1}


def task_record(task: Task) -> dict[str, Any]:
    """One task as exported: its id (so importing the file again is recognised), the seed's fields, durations
    as text."""
    return {
        "id": task.id, "attempt_id": task.attempt_id, "project_id": task.project_id, "project_name": task.project_name,
        "operation_id": task.operation_id, "duration": task.duration_display,
        "time_limit": task.time_limit_display, "date_audited": task.date_audited, "score": task.score,
        "feedback": task.feedback, "locale": task.locale, "bonus_paid": task.bonus_paid,
        "time_begin": task.time_begin, "time_end": task.time_end,
    }


def _weeks(conn: sqlite3.Connection, week_id: int | None) -> list[Week]:
    if week_id is not None:
        week = repo.get_week(conn, week_id)
        return [week] if week else []
    return [w for w in (repo.get_week(conn, s.id) for s in reversed(repo.list_weeks(conn))) if w]


def export_csv(conn: sqlite3.Connection, path: Path, week_id: int | None, progress: Progress | None = None) -> int:
    """Write tasks (oldest first) of one week, or of every week with a ``week_label`` column."""
    weeks = _weeks(conn, week_id)
    columns = ("id", *TASK_FIELDS) if week_id is not None else ("week_label", "id", *TASK_FIELDS)
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for done, week in enumerate(weeks, start=1):
            for task in reversed(repo.week_tasks(conn, week.id, None, 0)):
                row = task_record(task)
                if week_id is None:
                    row["week_label"] = week.week_label
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
                count += 1
            if progress is not None:
                progress(done, len(weeks))
    return count


def export_json(conn: sqlite3.Connection, path: Path, week_id: int | None, progress: Progress | None = None) -> int:
    """Write ``{"format", "version", "exported_at", "weeks": [{week fields…, "tasks": […]}]}``."""
    weeks = _weeks(conn, week_id)
    out: list[dict[str, Any]] = []
    count = 0
    for done, week in enumerate(weeks, start=1):
        tasks = [task_record(t) for t in reversed(repo.week_tasks(conn, week.id, None, 0))]
        count += len(tasks)
        out.append({**{k: getattr(week, k) for k in WEEK_FIELDS}, "tasks": tasks})
        if progress is not None:
            progress(done, len(weeks))
    document = {"format": FORMAT, "version": VERSION, "app_version": __version__,
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "weeks": out}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
    return count


@dataclass
class CsvRow:
    """One CSV row: its line number, the raw cells, and the validated values or the error."""

    line: int                      # line number in the file (header is line 1)
    raw: dict[str, str]
    values: dict[str, Any] | None  # ready for DataService.create_tasks, None when invalid
    error: str | None = None
    key: TaskKey | None = None     # (attempt, project, begin) as stored, to recognise a task already present
    id_hint: int | None = None     # the ``id`` column of the app's own export …
    fingerprint: Fingerprint | None = None  # … and what that task must still look like
    duplicate: str | None = None   # "duplicate of task N" / "… of line L": skipped unless the user says import
    skip: bool = False


@dataclass
class CsvPreview:
    """A read CSV file: every row (valid or with its error) and the columns that were ignored."""

    path: Path
    rows: list[CsvRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    valid_values: list[dict[str, Any]] = field(default_factory=list)  # made on the reading thread, for Import
    valid_count: int = 0   # rows without a problem
    duplicates: int = 0    # of those, rows already in the profile (or earlier in the file)
    skipped: int = 0       # rows Import leaves out (duplicates, or unticked by the user)
    display: list[CsvRow] = field(default_factory=list)  # problems, then duplicates, then the rest (preview order)

    @property
    def valid_rows(self) -> list[CsvRow]:
        return [r for r in self.rows if r.values is not None]

    @property
    def error_rows(self) -> list[CsvRow]:
        return [r for r in self.rows if r.values is None]


def read_csv(path: Path, max_rows: int = 200_000) -> CsvPreview:
    """Parse and validate every row; nothing is written. Raises ``ValidationError`` for an unusable file."""
    preview = CsvPreview(Path(path))
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise ValidationError(f"cannot open {path}: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not set(header) & set(TASK_FIELDS):
            expected = ", ".join(TASK_FIELDS)
            raise ValidationError(f"{Path(path).name}: no task columns found; expected some of {expected}")
        preview.ignored_columns = [h for h in header if h not in TASK_FIELDS and h not in ("week_label", "id")]
        try:
            for raw in reader:
                if len(preview.rows) >= max_rows:
                    raise ValidationError(f"{Path(path).name}: more than {max_rows:,} rows; split the file")
                preview.rows.append(_parse_row(reader.line_num, raw))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationError(f"{Path(path).name} line {reader.line_num}: {exc}") from None
    preview.valid_values = [r.values for r in preview.rows if r.values is not None]
    preview.valid_count = len(preview.valid_values)
    return preview


def importable_values(preview: CsvPreview) -> list[dict[str, Any]]:
    """The rows Import writes: valid and not skipped (duplicates are skipped unless the user chose them)."""
    return [r.values for r in preview.rows if r.values is not None and not r.skip]


def _parse_row(line: int, raw: dict[str | Any, Any]) -> CsvRow:
    clean = {str(k).strip(): (v if isinstance(v, str) else "") for k, v in raw.items() if k is not None}
    data: dict[str, Any] = {k: (v.strip() or None) for k, v in clean.items() if k in TASK_FIELDS}
    if "feedback" in clean:
        data["feedback"] = clean["feedback"] or None  # kept exactly, spaces and line breaks included
    for name in ("duration", "time_limit"):
        data[name] = data.get(name) or 0
    flag = str(data.get("bonus_paid") or "0").lower()
    if flag in _FLAGS:
        data["bonus_paid"] = _FLAGS[flag]
    try:
        values = validation.validate_task(data)
        validation.check_task_times(values["time_begin"], values["time_end"])
    except ValidationError as exc:
        return CsvRow(line, clean, None, str(exc))
    hint = clean.get("id", "").strip()
    return CsvRow(line, clean, data, key=task_key(values["attempt_id"], values["project_name"], values["time_begin"]),
                  id_hint=int(hint) if hint.isdigit() else None,
                  fingerprint=fingerprint(values["attempt_id"], values["project_name"], values["time_begin"],
                                          values["duration_seconds"]))
