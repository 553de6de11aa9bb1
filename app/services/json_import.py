"""Import the app's own JSON export (``{"format": "wfh-agent-tasks", "version": 1, "weeks": […]}``).

Round trip: export → import into an empty profile → export again gives the same document (apart from
``exported_at``): weeks keep their fields and order, tasks their fields, order and ids (an id is kept
when it is free in this profile). Tasks already present (``app.services.duplicates``) are skipped and
listed; a week whose label exists receives the tasks instead of a second week. Everything is validated
with the services' own rules and written in one transaction: a bad value anywhere writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain import validation
from app.domain.changes import Changes
from app.errors import OperationCancelled, ValidationError
from app.services.duplicates import existing_keys, fingerprint, task_key
from app.storage import repositories as repo
from app.storage.db import write_transaction

FORMAT = "wfh-agent-tasks"
VERSION = 1
TASK_FIELDS = ("attempt_id", "project_id", "project_name", "operation_id", "duration", "time_limit",
               "date_audited", "score", "feedback", "locale", "bonus_paid", "time_begin", "time_end")
WEEK_FIELDS = ("week_label", "week_start_day", "week_start_hour", "week_end_day", "week_end_hour",
               "is_custom_duration", "is_bonus_week", "bonus_rate", "bonus_threshold_seconds", "notes")
CHECK_EVERY = 2000


@dataclass
class JsonImportResult:
    """What an import did: weeks made or reused, tasks written, and the duplicates it skipped."""

    weeks_created: list[int] = field(default_factory=list)
    weeks_reused: list[int] = field(default_factory=list)
    tasks_created: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "week W, task 3: duplicate of task 17"

    @property
    def changes(self) -> Changes:
        return Changes(weeks_created=tuple(self.weeks_created), weeks_updated=tuple(self.weeks_reused),
                       tasks_created=tuple(self.tasks_created), bulk=True)

    def summary(self) -> str:
        text = (f"Imported {len(self.tasks_created):,} tasks into {len(self.weeks_created) + len(self.weeks_reused)}"
                f" week(s) ({len(self.weeks_created)} new).")
        if self.skipped:
            text += f" Skipped {len(self.skipped):,} already present: {'; '.join(self.skipped[:3])}"
            text += " …" if len(self.skipped) > 3 else ""
        return text


def read_document(path: Path) -> dict[str, Any]:
    """Load and check the export's envelope; a ``ValidationError`` names what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"cannot open {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{Path(path).name} is not a JSON file ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"{Path(path).name} is not a WFH Agent task export (format {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ValidationError(f"{Path(path).name}: export version {document.get('version')!r} is not supported "
                              f"(this version reads {VERSION})")
    if not isinstance(document.get("weeks"), list):
        raise ValidationError(f"{Path(path).name}: \"weeks\" must be a list")
    return document


def _week_values(week: Mapping[str, Any], where: str) -> dict[str, Any]:
    try:
        return validation.validate_week({k: week[k] for k in WEEK_FIELDS if k in week})
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}", exc.field) from None


def _task_values(task: Any, where: str) -> dict[str, Any]:
    if not isinstance(task, dict):
        raise ValidationError(f"{where}: a task must be an object")
    try:
        values = validation.validate_task({k: task.get(k) for k in TASK_FIELDS})
        validation.check_task_times(values["time_begin"], values["time_end"])
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}", exc.field) from None
    values.pop("week_id", None)
    return values


def import_document(conn: sqlite3.Connection, document: Mapping[str, Any],
                    progress: Callable[[int, int], None] | None = None,
                    should_cancel: Callable[[], bool] | None = None) -> JsonImportResult:
    """Write the export's weeks and tasks in one transaction on the calling thread's connection."""
    weeks = document["weeks"]
    total = sum(len(w.get("tasks") or []) for w in weeks if isinstance(w, dict))
    result = JsonImportResult()
    done = 0
    with write_transaction(conn):
        by_key, by_id = existing_keys(conn)
        for number, week in enumerate(weeks, start=1):
            if not isinstance(week, dict) or not isinstance(week.get("tasks", []), list):
                raise ValidationError(f"week {number}: must be an object with a list of tasks")
            values = _week_values(week, f"week {number}")
            label = values["week_label"]
            week_id = repo.week_id_by_label(conn, label)
            if week_id is None:
                week_id = repo.insert_week(conn, values)
                result.weeks_created.append(week_id)
            else:
                result.weeks_reused.append(week_id)
            for index, task in enumerate(week.get("tasks") or [], start=1):
                where = f"week {label!r}, task {index}"
                row = _task_values(task, where)
                key = task_key(row["attempt_id"], row["project_name"], row["time_begin"])
                print_ = fingerprint(row["attempt_id"], row["project_name"], row["time_begin"], row["duration_seconds"])
                hint = task.get("id")
                hint = hint if isinstance(hint, int) and not isinstance(hint, bool) and hint > 0 else None
                if hint is not None and by_id.get(hint) == print_:
                    result.skipped.append(f"{where}: duplicate of task {hint}")
                elif key is not None and key in by_key:
                    result.skipped.append(f"{where}: duplicate of task {by_key[key]}")
                else:
                    free = hint is not None and conn.execute(
                        "SELECT 1 FROM tasks_optimized WHERE id = ?", (hint,)).fetchone() is None
                    task_id = repo.insert_task(conn, week_id, {"id": hint, **row} if free else row)
                    repo.log_event(conn, task_id, "task_created", {"week_id": week_id}, row["duration_seconds"],
                                   "import")
                    result.tasks_created.append(task_id)
                    by_id[task_id] = print_
                    if key is not None:
                        by_key.setdefault(key, task_id)
                done += 1
                if done % CHECK_EVERY == 0:
                    if progress is not None:
                        progress(done, total)
                    if should_cancel is not None and should_cancel():
                        raise OperationCancelled("cancelled; nothing was written")
            repo.refresh_week_statistics(conn, week_id)
    if progress is not None:
        progress(total, total)
    return result
