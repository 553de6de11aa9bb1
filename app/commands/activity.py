"""``wfh-agent activity --date YYYY-MM-DD [--json]``: one local day's spans, aggregates, screenshots.

The user's own data for their records (and for tests). The day is the local calendar day in the
device's zone; span times are RFC 3339 UTC.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from app.errors import ValidationError
from app.monitor.store import SYNCED, MonitorStore
from app.monitor.timeutil import day_bounds_ms, local_zone_name, ms_to_iso
from app.profile import Profile


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("activity", help="print one day's recorded activity")
    parser.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="local calendar day")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def collect(profile: Profile, day: date, tz: str | None = None) -> dict[str, Any]:
    tz = tz or local_zone_name()
    zone = ZoneInfo(tz)
    store = MonitorStore(profile.db)
    lo, hi = day_bounds_ms(day, zone)
    spans = store.conn.execute(
        "SELECT client_id, started_at, ended_at, status, process_name, window_title, domain, category, "
        "" + SYNCED + " FROM heartbeats WHERE started_at < ? AND ended_at > ? "
        "ORDER BY started_at, id", (ms_to_iso(hi), ms_to_iso(lo))).fetchall()
    aggregates = store.aggregates_for_day(day)
    return {
        "date": day.isoformat(),
        "tz": tz,
        "spans": [{
            "client_id": r["client_id"], "started_at": r["started_at"], "ended_at": r["ended_at"],
            "status": r["status"], "app": r["process_name"], "title": r["window_title"],
            "domain": r["domain"], "category": r["category"], "synced": bool(r["synced"]),
        } for r in spans],
        "aggregates": aggregates,
        "screenshots": [{
            "client_id": s["client_id"], "captured_at": s["captured_at"], "file": s["file_path"],
            "sha256": s["sha256"], "synced": bool(s["synced"]),
        } for s in store.screenshots_between(lo, hi)],
    }


def run(args: argparse.Namespace) -> int:
    try:
        day = date.fromisoformat(args.date)
    except ValueError as exc:
        raise ValidationError(f"--date must be YYYY-MM-DD ({exc})", field="date") from exc
    profile = Profile.open(args.data_dir)
    try:
        data = collect(profile, day)
    finally:
        profile.close()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"Activity on {data['date']} ({data['tz']})")
    for span in data["spans"]:
        label = span["domain"] or span["app"] or span["status"]
        print(f"  {span['started_at'][11:19]}–{span['ended_at'][11:19]}Z  {span['status']:<7} "
              f"{(span['category'] or ''):<12} {label}  {span['title'][:60]}")
    prod = data["aggregates"]["productivity"]
    if prod:
        print(f"Productive {prod['productive_seconds']} s, unproductive {prod['unproductive_seconds']} s, "
              f"neutral {prod['neutral_seconds']} s, idle {prod['idle_seconds']} s, score {prod['score']}")
    for site in data["aggregates"]["website_usage"]:
        print(f"  {site['domain']:<40} {site['duration_seconds']:>6} s  {site['tag']}")
    print(f"Screenshots: {len(data['screenshots'])}")
    return 0
