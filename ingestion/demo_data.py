"""A generated sample team for ``wfh-ingest demo``: three weeks of plausible workdays per employee (apps,
sites, idle spells, a locked lunch break), the daily aggregates, a few screenshots and the weeks and tasks
the employee logged in the app, all sent through the real ingest API over HTTP, like the desktop agent does.

Every record is a function of (seed, employee, day) and its ``client_id`` a UUID of what it describes, so
a second load into the same database sends duplicates the server ignores (§7.1) instead of a second team."""

from __future__ import annotations

import hashlib
import io
import json
import random
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

AGENT = "wfh-agent/0.2.0 (demo)"
SEED = 17
WEEKS = 3  # the current ISO week and the two before it
NAMESPACE = uuid.UUID("0b5f3c2e-6d1a-5e8b-9a47-3f2d1c0e9b86")
# One deliberately hostile title (support's list only): the pages must show it as text, never run it.
SECURITY_TEST_TITLE = "Security test: <script>alert(1)</script> shows as text"
# (process, window title, domain or None, productivity tag)
ACTIVITIES = {
    "developer": [("Code", "reports.py - wfh-agent - Visual Studio Code", None, "productive"),
                  ("firefox", "Pull request #412 · GitHub", "github.com", "productive"),
                  ("gnome-terminal", "pytest tests/team -q", None, "productive"),
                  ("firefox", "psycopg 3 documentation", "www.psycopg.org", "productive"),
                  ("Slack", "#team-alpha | Slack", None, "neutral"),
                  ("firefox", "Hacker News", "news.ycombinator.com", "unproductive")],
    "designer": [("figma", "Dashboard v3 – Figma", "www.figma.com", "productive"),
                 ("firefox", "Dribbble - Discover", "dribbble.com", "neutral"),
                 ("Slack", "#design | Slack", None, "neutral"),
                 ("firefox", "YouTube", "www.youtube.com", "unproductive")],
    "support": [("firefox", "Ticket #8812 – Helpdesk", "help.example.com", "productive"),
                ("thunderbird", "Inbox - Thunderbird", None, "productive"),
                ("Zoom", "Zoom Meeting", None, "neutral"),
                ("firefox", SECURITY_TEST_TITLE, None, "neutral")],
}
# (project_id, project_name, operation_id, time limit in seconds; 0 = none) of the tasks logged in the app
PROJECTS: dict[str, list[tuple[str, str, str | None, int]]] = {
    "developer": [("P-2041", "Search relevance", "rate", 3600), ("P-2107", "Code review queue", "review", 2700),
                  ("P-1980", "Query rewriting", "rewrite", 0)],
    "designer": [("P-3310", "Image captions", "caption", 1800), ("P-3322", "UI screenshot rating", "rate", 2400),
                 ("P-3005", "Icon set audit", None, 0)],
    "support": [("P-4410", "Ticket triage", "triage", 1800), ("P-4432", "Chat transcript QA", "review", 2700),
                ("P-4401", "Help article review", None, 0)],
}
FEEDBACK = ["Clear rationale, well done.", "Please cite the guideline section next time.",
            "Good catch on the edge case.", "Slightly over the time limit."]


@dataclass(frozen=True)
class Person:
    """One employee of the demo team, with the habits their generated days follow."""

    emp_id: int
    name: str
    email: str
    tz: str
    kind: str
    stops_hours_ago: float = 0.0  # > 0: the device stopped syncing that long ago
    locale: str = "en_US"


TEAM = [Person(9001, "Alice Martin", "alice@demo.invalid", "Europe/Berlin", "developer", locale="de_DE"),
        Person(9002, "Bruno Costa", "bruno@demo.invalid", "Europe/Lisbon", "designer", locale="pt_PT"),
        Person(9003, "Chitra Rao", "chitra@demo.invalid", "Asia/Kolkata", "support", locale="en_IN"),
        Person(9004, "Dan Okafor", "dan@demo.invalid", "America/New_York", "developer", stops_hours_ago=3.0)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sync_clock(moment: datetime) -> str:
    """The worklog streams' ``updated_at`` format (§6.9)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _app_time(moment: datetime) -> str:
    """A time as the app stores it: ``YYYY-MM-DD HH:MM:SS``, no zone."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def client_id(person: Person, stream: str, key: str) -> str:
    """The record's stable UUID: the same employee, stream and start always give the same one."""
    return str(uuid.uuid5(NAMESPACE, f"{person.emp_id}/{stream}/{key}"))


def _rng(seed: int, person: Person, day: date, part: str) -> random.Random:
    return random.Random(f"{seed}/{person.emp_id}/{day.isoformat()}/{part}")


def until_for(person: Person, now: datetime) -> datetime:
    """The last moment the person's laptop recorded (and synced) anything."""
    return now - timedelta(minutes=2, hours=person.stops_hours_ago)


def workdays(person: Person, now: datetime, weeks: int = WEEKS) -> list[date]:
    """Monday to Friday of the last ``weeks`` ISO weeks up to the person's today, oldest first."""
    today = until_for(person, now).astimezone(ZoneInfo(person.tz)).date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)
            if (first + timedelta(days=n)).weekday() < 5]


def workday(person: Person, day: date, until: datetime, seed: int = SEED) -> list[dict[str, Any]]:
    """Heartbeat spans of one local workday, 09:00 to about 17:30 with a locked lunch, up to ``until``. The
    whole day is drawn before it is cut, so a later ``until`` only adds spans to the same ones."""
    rng = _rng(seed, person, day, "heartbeats")
    tz = ZoneInfo(person.tz)
    moment = datetime(day.year, day.month, day.day, 9, rng.randrange(0, 20), tzinfo=tz).astimezone(UTC)
    end = datetime(day.year, day.month, day.day, 17, rng.randrange(0, 60), tzinfo=tz).astimezone(UTC)
    lunch = datetime(day.year, day.month, day.day, 12, 30, tzinfo=tz).astimezone(UTC)
    spans: list[dict[str, Any]] = []
    had_lunch = False
    activity: tuple[str, str, str | None, str]
    while moment < end:
        if not had_lunch and moment >= lunch:
            length, status, activity = rng.randrange(35, 50) * 60, "locked", ("LockApp", "Locked", None, "neutral")
            had_lunch = True
        elif rng.random() < 0.07:
            length, status, activity = rng.randrange(3, 12) * 60, "idle", rng.choice(ACTIVITIES[person.kind])
        else:
            length, status, activity = rng.randrange(1, 6) * 60, "active", rng.choice(ACTIVITIES[person.kind])
        stop = min(moment + timedelta(seconds=length), end)
        process, title, domain, _ = activity
        cpu, memory = round(rng.uniform(2, 40), 1), round(rng.uniform(30, 70), 1)
        if moment < until:
            spans.append({"client_id": client_id(person, "heartbeats", _iso(moment)), "started_at": _iso(moment),
                          "ended_at": _iso(min(stop, until)), "tz": person.tz, "status": status,
                          "cpu_percent": cpu, "memory_percent": memory, "process_name": process,
                          "window_title": title, "domain": domain, "url": f"https://{domain}/" if domain else None})
        moment = stop
    return spans


def aggregates(person: Person, day: date, spans: list[dict[str, Any]], stamp: datetime) -> dict[str, list[Any]]:
    """website_usage, productivity and wellness of one day, derived from its spans, as of ``stamp``."""
    tags = {(p, t): tag for p, t, _, tag in ACTIVITIES[person.kind]}
    by_domain: dict[tuple[str, str], int] = {}
    seconds = {"productive": 0, "unproductive": 0, "neutral": 0, "idle": 0}
    streak = longest = breaks = 0
    for s in spans:
        length = int((datetime.fromisoformat(s["ended_at"]) - datetime.fromisoformat(s["started_at"])).total_seconds())
        if s["status"] == "active":
            tag = tags.get((s["process_name"], s["window_title"]), "neutral")
            seconds[tag] += length
            streak += length
            longest = max(longest, streak)
            if s["domain"]:
                key = (s["domain"], tag)
                by_domain[key] = by_domain.get(key, 0) + length
        else:
            seconds["idle"] += length
            breaks += 1 if length >= 300 else 0
            streak = 0 if length >= 300 else streak
    active = seconds["productive"] + seconds["unproductive"] + seconds["neutral"]
    updated = _iso(stamp)
    score = round(100 * seconds["productive"] / active, 1) if active else 0.0
    day_text = day.isoformat()
    return {
        "website_usage": [{"client_id": client_id(person, "website_usage", f"{day_text}/{d}"), "date": day_text,
                           "domain": d, "duration_seconds": v, "tag": tag, "updated_at": updated}
                          for (d, tag), v in sorted(by_domain.items())],
        "productivity": [{"client_id": client_id(person, "productivity", day_text), "date": day_text,
                          "productive_seconds": seconds["productive"], "unproductive_seconds": seconds["unproductive"],
                          "neutral_seconds": seconds["neutral"], "idle_seconds": seconds["idle"], "score": score,
                          "updated_at": updated}],
        "wellness": [{"client_id": client_id(person, "wellness", day_text), "date": day_text, "active_seconds": active,
                      "break_count": breaks, "longest_streak_seconds": longest,
                      "overtime_seconds": max(0, active - 8 * 3600), "updated_at": updated}],
    }


def screenshot_spans(spans: list[dict[str, Any]], full_day: int) -> list[tuple[int, dict[str, Any]]]:
    """The (index, span) of the day's screenshots: a quarter, half and three quarters into the whole day,
    those already recorded."""
    return [(index, spans[index]) for index in (full_day // 4, full_day // 2, 3 * full_day // 4)
            if index < len(spans)]


def screenshot_png(title: str, when: str, seed: int) -> bytes:
    """A small fake desktop with the window title written on it."""
    rng = random.Random(seed)
    image = Image.new("RGB", (480, 300), (rng.randrange(40, 90), rng.randrange(60, 110), rng.randrange(90, 140)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 450, 270), fill=(245, 246, 248), outline=(30, 30, 30))
    draw.rectangle((30, 30, 450, 52), fill=(47, 111, 222))
    draw.text((38, 36), title[:60], fill=(255, 255, 255))
    for row in range(8):
        draw.rectangle((50, 70 + row * 22, 50 + rng.randrange(120, 380), 80 + row * 22), fill=(200, 205, 215))
    draw.text((38, 250), when, fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def week_record(person: Person, monday: date, until: datetime, seed: int = SEED) -> dict[str, Any] | None:
    """The week as the app creates it on its Monday morning (ISO label, Monday to Sunday); None before then."""
    rng = _rng(seed, person, monday, "week")
    tz = ZoneInfo(person.tz)
    created = datetime(monday.year, monday.month, monday.day, 8, rng.randrange(40, 60), rng.randrange(60), tzinfo=tz)
    if created > until:
        return None
    year, number, _ = monday.isocalendar()
    bonus = rng.random() < 0.5
    return {"client_id": client_id(person, "weeks", monday.isoformat()), "week_label": f"{year}-W{number:02d}",
            "start_date": monday.isoformat(), "week_start_day": 0, "week_start_hour": 0, "week_end_day": 6,
            "week_end_hour": 23, "is_custom_duration": False, "is_bonus_week": bonus,
            "bonus_rate": 12.5 if bonus else 0.0, "bonus_threshold_seconds": 20 * 3600 if bonus else 0,
            "notes": "Bonus week: 12.50 an hour beyond 20 h." if bonus else "",
            "created_at": _app_time(created.astimezone(UTC)), "updated_at": _sync_clock(created), "deleted_at": None}


def day_tasks(person: Person, day: date, week_id: str, until: datetime, paid: bool,
              seed: int = SEED) -> list[dict[str, Any]]:
    """The tasks logged on one workday, back to back around lunch, each saved when it ended (up to ``until``)."""
    rng = _rng(seed, person, day, "tasks")
    tz = ZoneInfo(person.tz)
    tasks: list[dict[str, Any]] = []
    for first, last in ((datetime(day.year, day.month, day.day, 9, 20, tzinfo=tz),
                         datetime(day.year, day.month, day.day, 12, 25, tzinfo=tz)),
                        (datetime(day.year, day.month, day.day, 13, 25, tzinfo=tz),
                         datetime(day.year, day.month, day.day, 17, 0, tzinfo=tz))):
        begin = first + timedelta(minutes=rng.randrange(0, 15))
        while True:
            project_id, project, operation, limit = rng.choice(PROJECTS[person.kind])
            typical = limit or 2700
            duration = int(typical * rng.uniform(0.55, 1.15)) // 60 * 60
            end = begin + timedelta(seconds=duration)
            if end > last:
                break
            scored = rng.random() < 0.8
            score = rng.choices((2, 3, 4, 5), (1, 3, 6, 5))[0] if scored else None
            feedback = rng.choice(FEEDBACK) if scored and rng.random() < 0.25 else None
            attempt = f"{rng.getrandbits(48):012x}"
            saved = end + timedelta(seconds=rng.randrange(5, 90), milliseconds=rng.randrange(1000))
            if saved <= until:
                tasks.append({
                    "client_id": client_id(person, "tasks", _iso(begin)), "week_client_id": week_id,
                    "attempt_id": attempt, "duration_seconds": duration, "project_id": project_id,
                    "project_name": project, "operation_id": operation, "time_limit_seconds": limit,
                    "date_audited": day.isoformat(), "score": score, "feedback": feedback, "locale": person.locale,
                    "bonus_paid": paid, "time_begin": _app_time(begin), "time_end": _app_time(end),
                    "created_at": _app_time(saved.astimezone(UTC)), "updated_at": _sync_clock(saved),
                    "deleted_at": None})
            begin = end + timedelta(minutes=rng.randrange(1, 8))
    return tasks


def worklog(person: Person, now: datetime, seed: int = SEED,
            weeks: int = WEEKS) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The weeks and tasks the person logged in the app over the last ``weeks`` ISO weeks; the bonus of an
    earlier bonus week is paid."""
    until = until_for(person, now)
    days = workdays(person, now, weeks)
    current = days[-1] - timedelta(days=days[-1].weekday()) if days else None
    week_rows: list[dict[str, Any]] = []
    task_rows: list[dict[str, Any]] = []
    for monday in sorted({d - timedelta(days=d.weekday()) for d in days}):
        record = week_record(person, monday, until, seed)
        if record is None:
            continue
        week_rows.append(record)
        for day in (d for d in days if monday <= d < monday + timedelta(days=7)):
            paid = record["is_bonus_week"] and monday != current
            task_rows += day_tasks(person, day, record["client_id"], until, paid, seed)
    return week_rows, task_rows


class Loader:
    """Posts records to a running server with each person's device key (standard library HTTP: the
    server-only install has no HTTP client package)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _post(self, path: str, key: str, body: bytes, content_type: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.base_url}{path}", data=body, method="POST", headers={
            "User-Agent": AGENT, "X-Api-Key": key, "Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=60) as response:  # raises HTTPError for 4xx/5xx
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer

    def post(self, key: str, stream: str, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 500):
            body = json.dumps({"records": records[start:start + 500]}).encode("utf-8")
            rejected = self._post(f"/api/v1/ingest/{stream}", key, body, "application/json")["rejected"]
            if rejected:
                raise RuntimeError(f"demo data rejected by the server: {rejected[:3]}")

    def screenshot(self, key: str, record_id: str, captured_at: str, data: bytes) -> None:
        meta = {"client_id": record_id, "captured_at": captured_at, "sha256": hashlib.sha256(data).hexdigest(),
                "width": 480, "height": 300, "format": "png", "blurred": False}
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{json.dumps(meta)}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        self._post("/api/v1/screenshots", key, body, f"multipart/form-data; boundary={boundary}")


def load_week(loader: Loader, person: Person, key: str, now: datetime, seed: int = SEED, weeks: int = 0) -> int:
    """Send the person's activity of the last seven days, or with ``weeks`` of that many ISO weeks;
    returns the number of heartbeats. A screenshot sent again rewrites its file if it went missing."""
    until = until_for(person, now)
    if weeks:
        days = workdays(person, now, weeks)
    else:
        today = now.astimezone(ZoneInfo(person.tz)).date()
        days = [today - timedelta(days=n) for n in range(6, -1, -1) if (today - timedelta(days=n)).weekday() < 5]
    total = 0
    for day in days:
        spans = workday(person, day, until, seed)
        if not spans:
            continue
        loader.post(key, "heartbeats", spans)
        for stream, records in aggregates(person, day, spans, until).items():
            loader.post(key, stream, records)
        full_day = len(workday(person, day, datetime.max.replace(tzinfo=UTC), seed))
        for index, s in screenshot_spans(spans, full_day):
            loader.screenshot(key, client_id(person, "screenshots", s["started_at"]), s["started_at"],
                              screenshot_png(s["window_title"], s["started_at"], index))
        total += len(spans)
    return total


def load_worklog(loader: Loader, person: Person, key: str, now: datetime, seed: int = SEED,
                 weeks: int = WEEKS) -> tuple[int, int]:
    """Send the weeks and tasks the person logged (the worklog streams); returns their numbers."""
    week_rows, task_rows = worklog(person, now, seed, weeks)
    loader.post(key, "weeks", week_rows)
    loader.post(key, "tasks", task_rows)
    return len(week_rows), len(task_rows)
