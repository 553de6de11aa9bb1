"""Worklog conflict rules (INGESTION_API.md §7.4) on a real PostgreSQL: later wins, tie → higher device,
every distinct version in the history, tombstones, aliases by case-insensitive label, order independence."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import EMP, count_rows
from tests.server.worklog_records import read_all, send, task, week
from tests.support.pg import connect
from tests.support.server import create_key


@pytest.fixture
def key2(clean_db: str, key: str) -> str:
    """A second device of the same employee, created after ``key``'s: the higher device_id."""
    return create_key(clean_db, EMP, "TEST-LAPTOP-2")


def _tasks(client: TestClient, key: str) -> dict[str, dict[str, Any]]:
    records, _ = read_all(client, key, "tasks")
    return {r["client_id"]: r for r in records}


def _history(url: str, client_id: str) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        return conn.execute(
            "SELECT d.name, h.record->>'feedback', h.updated_at, h.deleted_at IS NOT NULL FROM worklog_history h"
            " JOIN devices d USING (device_id) WHERE h.client_id = %s ORDER BY h.updated_at, d.name",
            (client_id,)).fetchall()


def test_later_edit_wins_and_older_is_duplicate(client: TestClient, key: str, clean_db: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    tid = str(uuid.uuid4())
    assert send(client, key, "tasks", [task(w["client_id"], tid, 10, feedback="v1")])["accepted"] == 1
    assert send(client, key, "tasks", [task(w["client_id"], tid, 20, feedback="v2")])["accepted"] == 1
    assert send(client, key, "tasks", [task(w["client_id"], tid, 15, feedback="late")])["duplicates"] == 1
    assert _tasks(client, key)[tid]["feedback"] == "v2"
    assert [row[1] for row in _history(clean_db, tid)] == ["v1", "late", "v2"]  # nothing lost


@pytest.mark.parametrize("first", ["one", "two"])
def test_equal_updated_at_goes_to_the_higher_device_in_any_order(client: TestClient, key: str, key2: str,
                                                                  first: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    tid = str(uuid.uuid4())
    versions = {"one": (key, task(w["client_id"], tid, 30, feedback="from laptop 1")),
                "two": (key2, task(w["client_id"], tid, 30, feedback="from laptop 2"))}
    order = ["one", "two"] if first == "one" else ["two", "one"]
    answers = [send(client, versions[name][0], "tasks", [versions[name][1]]) for name in order]
    stored = _tasks(client, key)[tid]
    assert stored["feedback"] == "from laptop 2" and stored["device"] == "TEST-LAPTOP-2"
    # laptop 2 wins whenever it comes: accepted; laptop 1 is accepted only when it came first
    assert [a["accepted"] for a in answers] == ([1, 1] if first == "one" else [1, 0])


def test_conflicting_offline_edits_keep_every_version(client: TestClient, key: str, key2: str,
                                                      clean_db: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    tid = str(uuid.uuid4())
    send(client, key, "tasks", [task(w["client_id"], tid, 0, feedback="original")])
    send(client, key2, "tasks", [task(w["client_id"], tid, 50, feedback="B offline")])
    send(client, key, "tasks", [task(w["client_id"], tid, 40, feedback="A offline")])
    for k, minutes, text in ((key, 40, "A offline"), (key2, 50, "B offline")):  # resends add nothing
        send(client, k, "tasks", [task(w["client_id"], tid, minutes, feedback=text)])
    assert _tasks(client, key)[tid]["feedback"] == "B offline"
    assert _tasks(client, key2)[tid]["feedback"] == "B offline"
    history = _history(clean_db, tid)
    assert [(r[0], r[1]) for r in history] == [("TEST-LAPTOP-1", "original"), ("TEST-LAPTOP-1", "A offline"),
                                               ("TEST-LAPTOP-2", "B offline")]


def test_tombstone_deletes_only_when_newer_and_a_later_edit_revives(client: TestClient, key: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    tid = str(uuid.uuid4())
    send(client, key, "tasks", [task(w["client_id"], tid, 20)])
    old_tomb = task(w["client_id"], tid, 10, deleted_at=task(w["client_id"], minutes=10)["updated_at"])
    assert send(client, key, "tasks", [old_tomb])["duplicates"] == 1
    assert _tasks(client, key)[tid]["deleted_at"] is None
    new_tomb = task(w["client_id"], tid, 30, deleted_at=task(w["client_id"], minutes=30)["updated_at"])
    assert send(client, key, "tasks", [new_tomb])["accepted"] == 1
    assert _tasks(client, key)[tid]["deleted_at"] == new_tomb["deleted_at"]
    assert send(client, key, "tasks", [task(w["client_id"], tid, 25)])["duplicates"] == 1  # older edit: still deleted
    assert send(client, key, "tasks", [task(w["client_id"], tid, 40, feedback="restored")])["accepted"] == 1
    assert _tasks(client, key)[tid]["deleted_at"] is None


def test_in_batch_versions_reduce_to_the_latest_but_all_enter_history(client: TestClient, key: str,
                                                                       clean_db: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    tid = str(uuid.uuid4())
    batch = [task(w["client_id"], tid, 5, feedback="b"), task(w["client_id"], tid, 9, feedback="c"),
             task(w["client_id"], tid, 1, feedback="a"), task(w["client_id"], tid, 9, feedback="c")]
    body = send(client, key, "tasks", batch)
    assert (body["accepted"], body["duplicates"]) == (1, 3)
    assert _tasks(client, key)[tid]["feedback"] == "c"
    assert sorted(r[1] for r in _history(clean_db, tid)) == ["a", "b", "c"]
    again = send(client, key, "tasks", batch)
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    assert len(_history(clean_db, tid)) == 3


def test_week_label_alias_is_case_insensitive_and_merges(client: TestClient, key: str, key2: str,
                                                         clean_db: str) -> None:
    a = week(label="2026-W48", minutes=0, notes="A")
    b = week(label="2026-w48", minutes=5, notes="B")
    send(client, key, "weeks", [a])
    assert send(client, key2, "weeks", [b])["accepted"] == 1
    weeks, _ = read_all(client, key, "weeks")
    assert len(weeks) == 1
    assert weeks[0]["client_id"] == a["client_id"] and weeks[0]["aliases"] == [b["client_id"]]
    assert weeks[0]["notes"] == "B" and weeks[0]["device"] == "TEST-LAPTOP-2"
    # a later edit under the alias UUID applies to the canonical week; an older one under A loses
    assert send(client, key2, "weeks", [dict(b, notes="B2", updated_at=week(minutes=9)["updated_at"])])["accepted"] == 1
    assert send(client, key, "weeks", [dict(a, notes="A-old", updated_at=week(minutes=7)["updated_at"])])[
        "duplicates"] == 1
    weeks, _ = read_all(client, key, "weeks")
    assert [(w["client_id"], w["notes"]) for w in weeks] == [(a["client_id"], "B2")]
    assert count_rows(clean_db, "worklog_weeks") == 1 and count_rows(clean_db, "worklog_week_aliases") == 1
    # tasks of either device come back under the canonical UUID
    send(client, key2, "tasks", [task(b["client_id"])])
    send(client, key, "tasks", [task(a["client_id"])])
    tasks, _ = read_all(client, key, "tasks")
    assert {t["week_client_id"] for t in tasks} == {a["client_id"]}


def test_two_new_weeks_with_one_label_in_a_batch_become_one(client: TestClient, key: str) -> None:
    first, second = week(label="Sprint 7", minutes=1), week(label="SPRINT 7", minutes=2)
    body = send(client, key, "weeks", [first, second])
    assert body["accepted"] == 2
    weeks, _ = read_all(client, key, "weeks")
    assert [(w["client_id"], w["aliases"], w["week_label"]) for w in weeks] == [
        (first["client_id"], [second["client_id"]], "SPRINT 7")]


def test_renaming_a_week_later_does_not_merge_existing_weeks(client: TestClient, key: str) -> None:
    a, b = week(label="W1"), week(label="W2")
    send(client, key, "weeks", [a, b])
    send(client, key, "weeks", [dict(b, week_label="w1", updated_at=week(minutes=3)["updated_at"])])
    weeks, _ = read_all(client, key, "weeks")
    assert sorted(w["client_id"] for w in weeks) == sorted([a["client_id"], b["client_id"]])
    assert all(w["aliases"] == [] for w in weeks)


def test_final_state_is_the_same_for_every_arrival_order(client_for: Any, pg_url: str) -> None:
    """Two devices, an aliased week, tasks on both, conflicting edits: all 24 orders of the four batches
    (weeks may come after their tasks) end in the same weeks and tasks."""
    from tests.support.pg import reset_tables

    a_week = week(label="2026-W50", minutes=0, notes="A")
    b_week = week(label="2026-w50", minutes=1, notes="B")
    shared = str(uuid.uuid4())
    batches = [
        ("1", "weeks", [a_week]),
        ("2", "weeks", [b_week]),
        ("1", "tasks", [task(a_week["client_id"], shared, 10, feedback="A edit"),
                        task(a_week["client_id"], minutes=2)]),
        ("2", "tasks", [task(b_week["client_id"], shared, 10, feedback="B edit"),
                        task(b_week["client_id"], minutes=3)]),
    ]
    results = []
    for order in itertools.permutations(range(4)):
        reset_tables(pg_url)
        keys = {"1": create_key(pg_url, EMP, "TEST-LAPTOP-1"), "2": create_key(pg_url, EMP, "TEST-LAPTOP-2")}
        client = client_for(pg_url, rate_per_minute=60_000.0, rate_burst=10_000)
        for i in order:
            dev, stream, records = batches[i]
            send(client, keys[dev], stream, records)
        weeks, _ = read_all(client, keys["1"], "weeks")
        tasks, _ = read_all(client, keys["2"], "tasks")
        strip = ("device",)
        results.append((
            sorted(tuple(sorted((k, str(v)) for k, v in w.items() if k not in ("client_id", "aliases", *strip)))
                   for w in weeks),
            len(weeks),
            sorted((t["client_id"], t["feedback"], t["device"], t["week_client_id"] in
                    {weeks[0]["client_id"]}) for t in tasks),
        ))
    assert all(result == results[0] for result in results)
    assert results[0][1] == 1
    assert (shared, "B edit", "TEST-LAPTOP-2", True) in results[0][2]
