"""``sync --once`` and ``status --json`` against a replay server; pacing after the first burst."""

from __future__ import annotations

import json
import time
from typing import Any

from app.cli import main
from tests.sync.replay import JSON, seed_heartbeats


def _prepare(sync_env: Any) -> str:
    sync_env.profile.settings.save()
    return str(sync_env.profile.paths.data_dir)


def test_sync_once_ok_and_status(sync_env: Any, capsys: Any) -> None:
    seed_heartbeats(sync_env.conn, 250)
    data_dir = _prepare(sync_env)
    assert main(["--data-dir", data_dir, "sync", "--once", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["synced"] == {"heartbeats": 250} and out["state"] == "synced"
    assert main(["--data-dir", data_dir, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert set(status) == {"state", "reason", "detail", "pending", "quarantined", "last_success", "retry_at"}
    assert status["state"] == "synced" and status["pending"]["heartbeats"] == 0 and status["last_success"]


def test_sync_once_failure_is_one_line_and_nonzero(sync_env: Any, capsys: Any) -> None:
    seed_heartbeats(sync_env.conn, 5)
    data_dir = _prepare(sync_env)
    sync_env.server.script = [lambda s: (503, {**JSON, "Retry-After": "30"}, b'{"error":"unavailable"}')]
    started = time.monotonic()
    assert main(["--data-dir", data_dir, "sync", "--once"]) == 1
    assert time.monotonic() - started < 5  # never sleeps through the Retry-After
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "503" in err
    main(["--data-dir", data_dir, "status", "--json"])
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "unreachable" and status["pending"]["heartbeats"] == 5


def test_sync_once_exit_0_with_only_quarantined_left(sync_env: Any, capsys: Any) -> None:
    seed_heartbeats(sync_env.conn, 2)
    data_dir = _prepare(sync_env)
    sync_env.server.script = [lambda s: (200, JSON, json.dumps({"accepted": 1, "duplicates": 0, "rejected": [
        {"index": 1, "client_id": s.records[1]["client_id"], "error": "tz: unknown time zone"}]}).encode())]
    assert main(["--data-dir", data_dir, "sync", "--once"]) == 0
    assert "heartbeats" in capsys.readouterr().out
    main(["--data-dir", data_dir, "status", "--json"])
    assert json.loads(capsys.readouterr().out)["quarantined"] == {"heartbeats": 1}


def test_no_key_or_http_to_remote_refused(sync_env: Any, capsys: Any) -> None:
    seed_heartbeats(sync_env.conn, 1)
    sync_env.profile.settings.set("ingestion.api.base_url", "http://example.com")
    data_dir = _prepare(sync_env)
    assert main(["--data-dir", data_dir, "sync", "--once"]) == 1
    assert "http://" in capsys.readouterr().err
    assert sync_env.server.seen == []


def test_pacing_after_burst(sync_env: Any) -> None:
    seed_heartbeats(sync_env.conn, 6)
    sync_env.profile.settings.set("ingestion.batch_size", 1)
    engine = sync_env.engine(pace_seconds=0.2, burst=2)
    engine.run_cycle()
    times = [s.at for s in sync_env.server.seen]
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(g >= 0.19 for g in gaps[2:]), gaps  # after the first 2 requests, at most 1 per 0.2 s


def test_no_server_set_up_is_local_only_not_an_error(sync_env: Any, capsys: Any) -> None:
    from app.sync.engine import NOT_SET_UP
    from app.sync.status import SyncReason, SyncState, SyncStatus
    from app.ui.sync.status import describe

    seed_heartbeats(sync_env.conn, 3)
    sync_env.profile.settings.set("ingestion.api.base_url", "")
    data_dir = _prepare(sync_env)
    assert main(["--data-dir", data_dir, "sync", "--once"]) == 1  # rows are still pending: not "done"
    assert NOT_SET_UP in capsys.readouterr().err
    main(["--data-dir", data_dir, "status", "--json"])
    status = json.loads(capsys.readouterr().out)
    from app.commands.status import NO_SERVER

    assert (status["state"], status["reason"], status["pending"]["heartbeats"]) == ("local_only", "not_set_up", 3)
    assert status["detail"] == NO_SERVER
    local_only = SyncStatus(SyncState.PENDING, SyncReason.NOT_SET_UP, NOT_SET_UP, pending=3)
    assert describe(local_only) == "Local only (no server set up) · 3 pending"
    assert sync_env.server.seen == []


def test_sync_once_json_retry_at_is_iso(sync_env: Any, capsys: Any) -> None:
    """retry_at was an epoch float; every JSON time is ISO 8601 with offset."""
    from datetime import datetime

    seed_heartbeats(sync_env.conn, 2)
    data_dir = _prepare(sync_env)
    sync_env.server.script = [lambda s: (503, {**JSON, "Retry-After": "30"}, b'{"error":"unavailable"}')]
    assert main(["--data-dir", data_dir, "sync", "--once", "--json"]) == 1
    retry_at = json.loads(capsys.readouterr().out)["retry_at"]
    assert isinstance(retry_at, str) and datetime.fromisoformat(retry_at).utcoffset() is not None
    main(["--data-dir", data_dir, "status", "--json"])
    saved = json.loads(capsys.readouterr().out)["retry_at"]  # stored with millisecond precision
    assert abs((datetime.fromisoformat(saved) - datetime.fromisoformat(retry_at)).total_seconds()) < 0.002


def test_weeks_and_tasks_pending_in_status_and_the_panel_then_sent_weeks_first(sync_env: Any, capsys: Any,
                                                                             qtbot: Any) -> None:
    """Issue 18: ``status`` and the Sync panel list the weeks and tasks streams; one cycle sends weeks, then
    tasks, then pulls the other devices' changes."""
    from app.services.data_service import DataService
    from app.storage.db import ConnectionFactory
    from app.ui.sync.actions import SyncActions
    from app.ui.sync.panel import SyncPanel

    data = DataService(sync_env.profile.db)
    week = data.create_week("2026-W48")
    data.create_tasks(week, [{"project_name": f"P{i}"} for i in range(3)])
    data_dir = _prepare(sync_env)
    assert main(["--data-dir", data_dir, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending"]["weeks"] == 1 and status["pending"]["tasks"] == 3
    assert main(["--data-dir", data_dir, "status"]) == 0
    text = capsys.readouterr().out
    assert "weeks" in text and "tasks" in text
    panel = SyncPanel(ConnectionFactory(sync_env.profile.paths.db_path), SyncActions(None))
    qtbot.addWidget(panel)
    rows = {panel.pending_table.item(r, 0).text(): panel.pending_table.item(r, 1).text()
            for r in range(panel.pending_table.rowCount())}
    assert rows["weeks"] == "1" and rows["tasks"] == "3"
    kv_conn = sync_env.conn
    kv_conn.execute("INSERT INTO settings(key, value) VALUES ('sync.cursor.weeks', 'cw')")
    assert main(["--data-dir", data_dir, "sync", "--once", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["synced"] == {"weeks": 1, "tasks": 3}
    paths = [s.path.split("?")[0] for s in sync_env.server.seen if s.path != "/health"]
    assert paths == ["/api/v1/ingest/weeks", "/api/v1/ingest/tasks", "/api/v1/me/weeks", "/api/v1/me/tasks"]
    assert "since=cw" in sync_env.server.seen[-2].path
