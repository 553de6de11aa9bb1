"""Outbox marking rules (aggregates changed in flight stay unsynced, quarantine moves, retry/discard)
and the key store (0600 file, env fallback, never logged)."""

from __future__ import annotations

import json
import logging
import os
import stat
from typing import Any

import pytest

from app.sync import outbox, state
from app.sync.keystore import KeyStore, key_prefix
from tests.sync.replay import VALID_KEY, insert_record, seed_heartbeats


def test_aggregate_changed_in_flight_stays_unsynced(profile: Any) -> None:
    conn = profile.db.get()
    insert_record(conn, "productivity", {"client_id": "11111111-1111-4111-8111-111111111111", "date": "2026-11-25",
                                         "productive_seconds": 1, "unproductive_seconds": 0, "neutral_seconds": 0,
                                         "idle_seconds": 0, "score": 50.0, "updated_at": "2026-11-25T10:00:00.000Z"})
    batch = outbox.fetch_batch(conn, "productivity", 10)
    conn.execute("UPDATE productivity SET productive_seconds = 2, updated_at = '2026-11-25T10:00:00.001Z'")
    assert outbox.commit_batch(conn, "productivity", batch, {}, 200) == 0
    assert outbox.pending_counts(conn, ["productivity"]) == {"productivity": 1}
    batch = outbox.fetch_batch(conn, "productivity", 10)
    assert batch[0].record["productive_seconds"] == 2
    assert outbox.commit_batch(conn, "productivity", batch, {}, 200) == 1


def test_quarantine_retry_and_discard(profile: Any) -> None:
    conn = profile.db.get()
    ids = seed_heartbeats(conn, 3)
    batch = outbox.fetch_batch(conn, "heartbeats", 10)
    outbox.commit_batch(conn, "heartbeats", batch, {1: "cpu_percent: bad", 2: "tz: unknown"}, 200)
    assert outbox.pending_counts(conn, ["heartbeats"]) == {"heartbeats": 0}
    assert outbox.quarantined_counts(conn) == {"heartbeats": 2}
    assert outbox.counter(conn, "quarantined_heartbeats") == 2
    rows = state.quarantine_list(conn)
    payload = json.loads(conn.execute("SELECT payload FROM sync_quarantine WHERE client_id = ?",
                                      (ids[1],)).fetchone()[0])
    assert payload["client_id"] == ids[1]
    by_client = {r["client_id"]: r["id"] for r in rows}
    assert outbox.retry_quarantined(conn, by_client[ids[1]])
    assert outbox.discard_quarantined(conn, by_client[ids[2]])
    assert [r.client_id for r in outbox.fetch_batch(conn, "heartbeats", 10)] == [ids[1]]
    assert outbox.quarantined_counts(conn) == {}


def test_retry_count_and_quarantine_prune(profile: Any) -> None:
    conn = profile.db.get()
    seed_heartbeats(conn, 2)
    batch = outbox.fetch_batch(conn, "heartbeats", 10)
    outbox.count_retry(conn, "heartbeats", batch)
    outbox.count_retry(conn, "heartbeats", batch)
    assert [r[0] for r in conn.execute("SELECT retry_count FROM heartbeats")] == [2, 2]
    outbox.quarantine_rows(conn, "heartbeats", batch, 413, "payload_too_large", now=lambda: "2020-01-01T00:00:00.000Z")
    assert outbox.prune_quarantine(conn) == 2
    assert outbox.counter(conn, "quarantine_pruned") == 2


def test_batch_is_oldest_first_and_limited(profile: Any) -> None:
    conn = profile.db.get()
    ids = seed_heartbeats(conn, 5)
    assert [r.client_id for r in outbox.fetch_batch(conn, "heartbeats", 3)] == ids[:3]


def test_key_file_is_0600_and_env_is_fallback(tmp_path: Any) -> None:
    env = {"WFH_AGENT_API_KEY": "wfh_ENVENVEN_" + "e" * 40}
    store = KeyStore(tmp_path / "api_key", environ=env, backend=None)
    assert store.get() == env["WFH_AGENT_API_KEY"] and store.source() == "env"
    assert store.set(VALID_KEY) == "file"
    assert stat.S_IMODE(os.stat(tmp_path / "api_key").st_mode) == 0o600
    assert store.get() == VALID_KEY and store.source() == "file"
    assert VALID_KEY not in repr(store)
    with pytest.raises(ValueError):
        store.set("not-a-key")
    store.clear()
    assert store.get() == env["WFH_AGENT_API_KEY"]


def test_custom_auth_env(tmp_path: Any) -> None:
    store = KeyStore(tmp_path / "k", auth_env="MY_KEY", environ={"MY_KEY": VALID_KEY}, backend=None)
    assert store.get() == VALID_KEY


class MemoryKeyring:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, account: str) -> str | None:
        return self.data.get((service, account))

    def set_password(self, service: str, account: str, value: str) -> None:
        self.data[(service, account)] = value

    def delete_password(self, service: str, account: str) -> None:
        self.data.pop((service, account), None)


def test_keyring_preferred_over_file(tmp_path: Any) -> None:
    ring = MemoryKeyring()
    store = KeyStore(tmp_path / "api_key", environ={}, backend=ring)
    assert store.set(VALID_KEY) == "keyring"
    assert ring.data[("wfh-agent", "ingestion-api-key")] == VALID_KEY
    assert not (tmp_path / "api_key").exists()
    assert store.get() == VALID_KEY and store.source() == "keyring"


def test_key_never_logged(sync_env: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed_heartbeats(sync_env.conn, 3)
    sync_env.server.script = [lambda seen: (401, {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"},
                                            b'{"error":"unauthorized"}')]
    engine = sync_env.engine()
    assert engine.run_cycle().state == "auth_error"
    sync_env.keystore.set(VALID_KEY)
    text = caplog.text + json.dumps(state.recent_log(sync_env.conn))
    assert VALID_KEY not in text and "placeholder-valid-key" not in text
    assert key_prefix(VALID_KEY) in caplog.text


def test_reads_settings_dialog_profile_entry(tmp_path: Any) -> None:
    ring = MemoryKeyring()
    ring.set_password("wfh-agent", "wfh-agent-0123456789abcdef", VALID_KEY)
    store = KeyStore(tmp_path / "api_key", environ={}, backend=ring, extra_accounts=("wfh-agent-0123456789abcdef",))
    assert store.get() == VALID_KEY
