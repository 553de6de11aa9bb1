"""A generated sample team for ``wfh-ingest demo``: a week of plausible workdays per employee (apps,
sites, idle spells, a locked lunch break), the daily aggregates and a few screenshots, all sent
through the real ingest API over HTTP, like the desktop agent does."""

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
                ("firefox", "<script>alert('titles are data, not markup')</script>", "evil.example", "neutral")],
}


@dataclass(frozen=True)
class Person:
    """One employee of the demo team, with the habits their generated week follows."""

    emp_id: int
    name: str
    email: str
    tz: str
    kind: str
    stops_hours_ago: float = 0.0  # > 0: the device stopped syncing that long ago


TEAM = [Person(9001, "Alice Martin", "alice@demo.invalid", "Europe/Berlin", "developer"),
        Person(9002, "Bruno Costa", "bruno@demo.invalid", "Europe/Lisbon", "designer"),
        Person(9003, "Chitra Rao", "chitra@demo.invalid", "Asia/Kolkata", "support"),
        Person(9004, "Dan Okafor", "dan@demo.invalid", "America/New_York", "developer", stops_hours_ago=3.0)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def workday(person: Person, day: date, until: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Heartbeat spans of one local workday, 09:00 to about 17:30 with a locked lunch."""
    tz = ZoneInfo(person.tz)
    moment = datetime(day.year, day.month, day.day, 9, rng.randrange(0, 20), tzinfo=tz).astimezone(UTC)
    end = datetime(day.year, day.month, day.day, 17, rng.randrange(0, 60), tzinfo=tz).astimezone(UTC)
    lunch = datetime(day.year, day.month, day.day, 12, 30, tzinfo=tz).astimezone(UTC)
    spans: list[dict[str, Any]] = []
    had_lunch = False
    activity: tuple[str, str, str | None, str]
    while moment < min(end, until):
        if not had_lunch and moment >= lunch:
            length, status, activity = rng.randrange(35, 50) * 60, "locked", ("LockApp", "Locked", None, "neutral")
            had_lunch = True
        elif rng.random() < 0.07:
            length, status, activity = rng.randrange(3, 12) * 60, "idle", rng.choice(ACTIVITIES[person.kind])
        else:
            length, status, activity = rng.randrange(1, 6) * 60, "active", rng.choice(ACTIVITIES[person.kind])
        stop = min(moment + timedelta(seconds=length), until)
        process, title, domain, _ = activity
        spans.append({"client_id": str(uuid.uuid4()), "started_at": _iso(moment), "ended_at": _iso(stop),
                      "tz": person.tz, "status": status, "cpu_percent": round(rng.uniform(2, 40), 1),
                      "memory_percent": round(rng.uniform(30, 70), 1), "process_name": process,
                      "window_title": title, "domain": domain, "url": f"https://{domain}/" if domain else None})
        moment = stop
    return spans


def aggregates(person: Person, day: date, spans: list[dict[str, Any]], now: datetime) -> dict[str, list[Any]]:
    """website_usage, productivity and wellness of one day, derived from its spans."""
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
    stamp = _iso(now - timedelta(minutes=1))
    score = round(100 * seconds["productive"] / active, 1) if active else 0.0
    return {
        "website_usage": [{"client_id": str(uuid.uuid4()), "date": day.isoformat(), "domain": d, "duration_seconds": v,
                           "tag": tag, "updated_at": stamp} for (d, tag), v in sorted(by_domain.items())],
        "productivity": [{"client_id": str(uuid.uuid4()), "date": day.isoformat(),
                          "productive_seconds": seconds["productive"], "unproductive_seconds": seconds["unproductive"],
                          "neutral_seconds": seconds["neutral"], "idle_seconds": seconds["idle"], "score": score,
                          "updated_at": stamp}],
        "wellness": [{"client_id": str(uuid.uuid4()), "date": day.isoformat(), "active_seconds": active,
                      "break_count": breaks, "longest_streak_seconds": longest,
                      "overtime_seconds": max(0, active - 8 * 3600), "updated_at": stamp}],
    }


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

    def screenshot(self, key: str, captured_at: str, data: bytes) -> None:
        meta = {"client_id": str(uuid.uuid4()), "captured_at": captured_at, "sha256": hashlib.sha256(data).hexdigest(),
                "width": 480, "height": 300, "format": "png", "blurred": False}
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{json.dumps(meta)}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        self._post("/api/v1/screenshots", key, body, f"multipart/form-data; boundary={boundary}")


def load_week(loader: Loader, person: Person, key: str, now: datetime, seed: int = 17) -> int:
    """Send a week of the person's activity; returns the number of heartbeats."""
    rng = random.Random(seed * 100_003 + person.emp_id)
    until = now - timedelta(minutes=2, hours=person.stops_hours_ago)
    today = now.astimezone(ZoneInfo(person.tz)).date()
    total = 0
    for offset in range(6, -1, -1):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        spans = workday(person, day, until, rng)
        if not spans:
            continue
        loader.post(key, "heartbeats", spans)
        for stream, records in aggregates(person, day, spans, now).items():
            loader.post(key, stream, records)
        for index in (len(spans) // 4, len(spans) // 2, 3 * len(spans) // 4):
            s = spans[index]
            loader.screenshot(key, s["started_at"], screenshot_png(s["window_title"], s["started_at"], index))
        total += len(spans)
    return total
