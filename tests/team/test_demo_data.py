"""The demo's generated team (ingestion/demo_data.py) without a server: the same seed gives the same records,
a later moment only adds records (so a re-run's are duplicates), the logged work is plausible, and exactly
one window title is hostile, labelled as the escaping test it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingestion import demo_data
from ingestion.demo_data import TEAM, until_for, workday, workdays, worklog

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday afternoon in Europe, morning in New York


def _by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["client_id"]: r for r in records}


def test_the_same_seed_gives_the_same_records() -> None:
    for person in TEAM:
        assert worklog(person, NOW) == worklog(person, NOW)
        day = workdays(person, NOW)[0]
        assert workday(person, day, NOW) == workday(person, day, NOW)
    alice = TEAM[0]
    assert worklog(alice, NOW, seed=18) != worklog(alice, NOW)


def test_a_later_run_sends_the_same_records_and_only_adds() -> None:
    """What a re-run an hour later sends: every earlier record again under the same client_id (the server
    keeps the first), a heartbeat cut at the earlier moment only longer, plus what the hour added."""
    later = NOW + timedelta(hours=1)
    for person in TEAM:
        for day in workdays(person, NOW):
            before, after = workday(person, day, until_for(person, NOW)), workday(person, day, until_for(person, later))
            assert [(s["client_id"], s["started_at"]) for s in before] == [
                (s["client_id"], s["started_at"]) for s in after[:len(before)]]
            assert all(b == a for b, a in zip(before[:-1], after, strict=False))
        weeks, tasks = worklog(person, NOW)
        later_weeks, later_tasks = worklog(person, later)
        assert weeks == later_weeks
        assert _by_id(tasks).items() <= _by_id(later_tasks).items()
    ids = [r["client_id"] for p in TEAM for r in worklog(p, NOW)[0] + worklog(p, NOW)[1]]
    ids += [s["client_id"] for p in TEAM for d in workdays(p, NOW) for s in workday(p, d, NOW)]
    assert len(ids) == len(set(ids))


def test_the_logged_weeks_are_plausible() -> None:
    for person in TEAM:
        weeks, tasks = worklog(person, NOW)
        mondays = [date.fromisoformat(w["start_date"]) for w in weeks]
        assert len(weeks) == demo_data.WEEKS and all(m.weekday() == 0 for m in mondays)
        assert [w["week_label"] for w in weeks] == [f"{m.isocalendar()[0]}-W{m.isocalendar()[1]:02d}" for m in mondays]
        until = until_for(person, NOW)
        per_day: dict[str, int] = {}
        for t in tasks:
            begin, end = datetime.fromisoformat(t["time_begin"]), datetime.fromisoformat(t["time_end"])
            assert t["duration_seconds"] == (end - begin).total_seconds() > 0
            assert (begin.hour, begin.minute) >= (9, 20) and (end.hour, end.minute) <= (17, 0)
            assert t["date_audited"] == begin.date().isoformat() and begin.weekday() < 5
            assert datetime.strptime(t["updated_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) <= until
            assert t["week_client_id"] in {w["client_id"] for w in weeks}
            per_day[t["date_audited"]] = per_day.get(t["date_audited"], 0) + t["duration_seconds"]
        today = until.astimezone(ZoneInfo(person.tz)).date().isoformat()
        full_days = [seconds for day, seconds in per_day.items() if day != today]
        assert len(full_days) >= 10 and all(4 * 3600 <= s <= 7 * 3600 for s in full_days), per_day
        assert any(t["score"] is None for t in tasks) and any(t["score"] is not None for t in tasks)


def test_exactly_one_hostile_title_and_it_says_so() -> None:
    hostile = [(kind, title, domain) for kind, activities in demo_data.ACTIVITIES.items()
               for _, title, domain, _ in activities if "<" in title or (domain and "evil" in domain)]
    assert hostile == [("support", demo_data.SECURITY_TEST_TITLE, None)]
    assert demo_data.SECURITY_TEST_TITLE.startswith("Security test:") and "<script>" in demo_data.SECURITY_TEST_TITLE
    assert [p.name for p in TEAM if p.kind == "support"] == ["Chitra Rao"]
