"""``wfh-agent task add|list|start|stop|edit|delete``: tasks from the command line, like Watson or Timewarrior.

The same DataService and validation as the window (durations like ``1:30``, ``90m``, ``1.5h``), one-line
errors and exit code 2 on bad input. Safe while the window is open on the same profile: commands take no
single-instance lock, every write is one transaction, the window notices it within a second, and the
running timer is the one the window shows (``TimerStore``, shared through the database).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from app.domain.durations import describe_duration
from app.domain.models import Task, Week
from app.domain.weeks import iso_week_label, monday_of
from app.errors import NotFoundError, ValidationError
from app.profile import Profile
from app.services.data_service import DataService
from app.storage import repositories as repo
from app.storage.timer_store import RunningTimer, TimerStore, iso_utc

DATA_DIR_HELP = "profile folder (overrides WFH_AGENT_DATA_DIR)"
# --option -> validate_task field, for add and edit
TASK_OPTIONS = (
    ("project", "project_name", "project name"),
    ("project-id", "project_id", "project id"),
    ("attempt", "attempt_id", "attempt id"),
    ("operation", "operation_id", "operation id"),
    ("duration", "duration", "time spent: 1:30, 90m, 1h30m, 1.5h or minutes"),
    ("time-limit", "time_limit", "time limit, same forms as --duration"),
    ("score", "score", "0-100; empty for no score"),
    ("locale", "locale", "e.g. en_US"),
    ("feedback", "feedback", "feedback text"),
    ("date-audited", "date_audited", "YYYY-MM-DD"),
    ("begin", "time_begin", "start, e.g. 2026-11-26T09:30"),
    ("end", "time_end", "end, e.g. 2026-11-26T11:00"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("task", help="add, list, time, edit or delete tasks")
    actions = parser.add_subparsers(dest="task_command", metavar="ACTION", required=True)
    add = _sub(actions, "add", "add a task to a week", run_add)
    add.add_argument("--week", help="week label (any case) or id; default: this ISO week, created if missing")
    _task_options(add)
    add.add_argument("--json", action="store_true", help="print the task as JSON")
    listing = _sub(actions, "list", "list a week's tasks", run_list)
    listing.add_argument("--week", help="week label (any case) or id; default: this ISO week")
    listing.add_argument("--json", action="store_true", help="print JSON")
    start = _sub(actions, "start", "start the timer on a task (stops a running one first)", run_start)
    start.add_argument("task_id", type=int, metavar="ID")
    _sub(actions, "stop", "stop the running timer and add its time to the task", run_stop)
    edit = _sub(actions, "edit", "change a task's fields (or move it with --week)", run_edit)
    edit.add_argument("task_id", type=int, metavar="ID")
    edit.add_argument("--week", help="move the task to this week (label or id)")
    _task_options(edit)
    edit.add_argument("--json", action="store_true", help="print the task as JSON")
    delete = _sub(actions, "delete", "delete a task", run_delete)
    delete.add_argument("task_id", type=int, metavar="ID")


def _sub(actions: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
    parser.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=DATA_DIR_HELP)
    parser.set_defaults(handler=handler)
    return parser


def _task_options(parser: argparse.ArgumentParser) -> None:
    for option, field, help_text in TASK_OPTIONS:
        parser.add_argument(f"--{option}", dest=field, default=None, help=help_text)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {field: getattr(args, field) for _o, field, _h in TASK_OPTIONS if getattr(args, field) is not None}


def safe(text: object) -> str:
    """Device data (titles, names) for a terminal: control characters shown as ``\\xNN``, never sent raw."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


# ---- weeks ---------------------------------------------------------------------------------
def find_week(data: DataService, ref: str) -> Week:
    """A week by label (ignoring case) or by id."""
    conn = data.db.get()
    week_id = repo.week_id_by_label(conn, ref)
    if week_id is None and ref.strip().isdigit():
        week_id = int(ref)
    week = repo.get_week(conn, week_id) if week_id is not None else None
    if week is None:
        raise NotFoundError(f"no week called {ref!r} (create it in the window, or omit --week for this week)")
    return week


def current_week(data: DataService, *, create: bool) -> Week:
    """This ISO week, created (dated by its Monday) when ``create`` and it does not exist yet."""
    today = date.today()
    label = iso_week_label(today)
    week_id = repo.week_id_by_label(data.db.get(), label)
    if week_id is None:
        if not create:
            raise NotFoundError(f"there is no week {label} yet (task add creates it)")
        week_id = data.create_week(label, start_date=monday_of(today).isoformat())
    week = data.get_week_data(week_id)
    assert week is not None
    return week


# ---- output --------------------------------------------------------------------------------
def _utc(value: object) -> object:
    """SQLite's ``CURRENT_TIMESTAMP`` (UTC, no offset) as ISO 8601 with ``Z``, like every --json time."""
    if isinstance(value, str) and len(value) >= 19 and value[10] == " ":
        return value[:10] + "T" + value[11:19] + "Z"
    return value


def _record(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _utc(value) if key in ("created_at", "updated_at") else value for key, value in values.items()}


def _task_json(task: Task, running: RunningTimer | None) -> dict[str, Any]:
    return {**_record(task.as_dict()), "timer_running": running is not None and running.task_id == task.id}


def _task_line(task: Task, running: RunningTimer | None) -> str:
    mark = "▶" if running is not None and running.task_id == task.id else " "
    score = "" if task.score is None else str(task.score)
    return (f"{mark}{task.id:>7}  {task.duration_display:>9}  {score:>5}  "
            f"{safe(task.project_name or ''):<24.24}  {safe(task.attempt_id or '')}")


def _print_task(verb: str, task: Task, week: Week | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_record(task.as_dict()), ensure_ascii=False, indent=2))
        return
    where = f" in {safe(week.week_label)}" if week is not None else ""
    print(f"{verb} task {task.id}{where}: {safe(task.display_name)}, {describe_duration(task.duration_seconds)}")


# ---- handlers ------------------------------------------------------------------------------
def _open(args: argparse.Namespace) -> tuple[Profile, DataService]:
    profile = Profile.open(args.data_dir)
    return profile, DataService(profile.db)


def run_add(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        week = find_week(data, args.week) if args.week else current_week(data, create=True)
        task = data.get_task(data.create_task(week.id, _given(args), user_action="cli"))
        _print_task("added", task, week, args.json)
    finally:
        profile.close()
    return 0


def run_list(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        week = find_week(data, args.week) if args.week else current_week(data, create=False)
        tasks = data.get_week_tasks(week.id)
        running = TimerStore(profile.db).load()
        total = data.get_week_analytics(week.id, "totals")["total_duration_seconds"]
    finally:
        profile.close()
    if args.json:
        print(json.dumps({"week": _record(week.as_dict()), "total_duration_seconds": total,
                          "tasks": [_task_json(t, running) for t in tasks]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{safe(week.week_label)}: {len(tasks):,} task{'s' if len(tasks) != 1 else ''}, "
          f"{describe_duration(int(total))}")
    if tasks:
        print(f" {'id':>7}  {'duration':>9}  {'score':>5}  {'project':<24}  attempt")
    for task in tasks:
        print(_task_line(task, running))
    return 0


def _stop_running(data: DataService, store: TimerStore) -> tuple[RunningTimer, int] | None:
    """Take the shared timer (whoever runs it) and add its time; None when none runs."""
    saved = store.take()
    if saved is None:
        return None
    elapsed = saved.seconds_until(datetime.now(UTC))
    try:
        data.stop_timer(saved.task_id, elapsed)
    except NotFoundError:
        pass  # the task was deleted while its timer ran
    except BaseException:
        store.save(saved)  # nothing was added: the timer keeps running
        raise
    return saved, elapsed


def run_start(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        task = data.get_task(args.task_id)
        store = TimerStore(profile.db)
        current = store.load()
        if current is not None and current.task_id == task.id:
            print(f"the timer already runs on task {task.id}: {safe(task.display_name)}")
            return 0
        stopped = _stop_running(data, store)
        if stopped is not None:
            print(f"stopped task {stopped[0].task_id}: {describe_duration(stopped[1])} added")
        now = iso_utc(datetime.now(UTC))
        store.save(RunningTimer(task.id, now, now, 0, "cli"))
        try:
            data.start_timer(task.id)
        except BaseException:
            store.clear()
            raise
        print(f"timer started on task {task.id}: {safe(task.display_name)}")
    finally:
        profile.close()
    return 0


def run_stop(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        stopped = _stop_running(data, TimerStore(profile.db))
        if stopped is None:
            raise ValidationError("no timer is running")
        saved, elapsed = stopped
        print(f"timer stopped on task {saved.task_id}: {describe_duration(elapsed)} added")
    finally:
        profile.close()
    return 0


def run_edit(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        changes = _given(args)
        week = None
        if args.week:
            week = find_week(data, args.week)
            changes["week_id"] = week.id
        if not changes:
            raise ValidationError("nothing to change: give at least one option (see task edit --help)")
        data.update_task(args.task_id, changes, user_action="cli")
        task = data.get_task(args.task_id)
        _print_task("changed", task, week, args.json)
    finally:
        profile.close()
    return 0


def run_delete(args: argparse.Namespace) -> int:
    profile, data = _open(args)
    try:
        task = data.get_task(args.task_id)
        data.delete_task(task.id)
        print(f"deleted task {task.id}: {safe(task.display_name)}")
    finally:
        profile.close()
    return 0
