"""Sync UI pieces: icons per state, tooltip texts, tray actions, Sync panel, Settings → Sync page."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QImage

from app.sync import outbox
from app.sync.status import SyncReason, SyncState, SyncStatus
from app.ui.sync.actions import SyncActions
from app.ui.sync.panel import SyncPanel
from app.ui.sync.settings_page import SyncSettingsPage
from app.ui.sync.status import STATES, describe, icon_dir, sync_icon
from tests.sync.replay import JSON, VALID_KEY, seed_heartbeats

ME = (b'{"emp_id":1001,"device":"LAPTOP-0042","key_prefix":"TESTPREF",'
      b'"server_time":"2030-01-01T00:00:00.000Z"}')


def test_icons_exist_and_differ(qapp: Any) -> None:
    seen = set()
    for state in STATES:
        image = QImage(str(icon_dir() / f"{state}-16.png"))
        assert image.width() == 16
        seen.add(bytes(image.constBits()))
        assert not sync_icon(state).isNull()
    assert len(seen) == len(STATES)


def test_status_texts_come_from_state_and_reason() -> None:
    S, R = SyncState, SyncReason  # noqa: N806
    assert describe(SyncStatus(S.SYNCED, pending=0)) == "Synced · 0 pending"
    assert describe(SyncStatus(S.SYNCED, last_success="2026-11-26T14:02:00.000Z")).startswith("Synced ")
    assert describe(SyncStatus(S.OFFLINE, pending=1284)) == "Offline · 1,284 pending"
    assert describe(SyncStatus(S.UNREACHABLE, retry_at=140.0), now=100.0) == "Server unreachable, retrying in 40 s"
    assert describe(SyncStatus(S.AUTH_ERROR, R.KEY_REJECTED, "HTTP 401")) == "API key rejected"
    # The reason decides, never the wording of the detail text:
    assert describe(SyncStatus(S.AUTH_ERROR, R.WRONG_EMPLOYEE, "")) == "API key belongs to another employee"
    assert describe(SyncStatus(S.AUTH_ERROR, R.KEY_REJECTED, "another employee")) == "API key rejected"
    assert describe(SyncStatus(S.ERROR, R.QUEUE_FULL, "", pending=3)) == "Local queue full · 3 pending"
    assert describe(SyncStatus(S.PENDING, R.NOT_SET_UP, "", pending=2)) == "Local only (no server set up) · 2 pending"
    paused = "Sync error: heartbeats paused (HTTP 404)"
    assert describe(SyncStatus(S.ERROR, R.STREAM_PAUSED, paused)) == paused
    assert describe(SyncStatus(S.ERROR, R.BAD_SETTINGS, "server URL is not set")) == "Sync error: server URL is not set"


def test_sync_actions_ask_and_follow(qapp: Any) -> None:
    calls: list[Any] = []
    actions = SyncActions()
    actions.syncNowRequested.connect(lambda: calls.append("sync"))
    actions.workOfflineToggled.connect(lambda on: calls.append(("offline", on)))
    assert [a.text() for a in actions.actions()] == ["Sync now", "Work offline"]
    for action in actions.actions():
        action.trigger()
    assert calls == ["sync", ("offline", True)]
    actions.show_status(SyncStatus(SyncState.SYNCED))
    assert not actions.work_offline.isChecked() and actions.sync_now.isEnabled()
    assert calls == ["sync", ("offline", True)], "following the worker's status asks nothing"


def test_panel_shows_pending_and_quarantine_retry(qtbot: Any, profile: Any) -> None:
    conn = profile.db.get()
    seed_heartbeats(conn, 3)
    batch = outbox.fetch_batch(conn, "heartbeats", 10)
    outbox.commit_batch(conn, "heartbeats", batch, {0: "cpu_percent: must be between 0 and 100"}, 200)
    seed_heartbeats(conn, 4)
    actions = SyncActions()
    panel = SyncPanel(profile.db, actions)
    qtbot.addWidget(panel)
    assert panel.pending_table.item(0, 1).text() == "4"
    assert panel.quarantine_table.rowCount() == 1
    assert panel.quarantine_table.item(0, 4).text().startswith("cpu_percent:")
    panel.quarantine_table.cellWidget(0, 5).click()  # Retry
    assert panel.quarantine_table.rowCount() == 0 and panel.pending_table.item(0, 1).text() == "5"
    assert panel.quarantine_notice.isHidden()
    outbox.quarantine_rows(conn, "heartbeats", outbox.fetch_batch(conn, "heartbeats", 1), 422, "bad")
    gone = conn.execute("SELECT client_id FROM sync_quarantine").fetchone()[0]
    conn.execute("DELETE FROM heartbeats WHERE client_id = ?", (gone,))
    panel.refresh()
    panel.quarantine_table.cellWidget(0, 5).click()  # Retry of a record no longer here: said, and kept
    assert "no longer on this computer" in panel.quarantine_notice.text() and not panel.quarantine_notice.isHidden()
    assert panel.quarantine_table.rowCount() == 1
    with qtbot.waitSignal(actions.workOfflineToggled):
        panel.offline_switch.click()
    panel.show_status(SyncStatus(SyncState.OFFLINE, SyncReason.WORKING_OFFLINE, "Working offline", pending=5))
    assert panel.state_label.text() == "Offline · 5 pending"


def test_settings_page_saves_and_tests_connection(qtbot: Any, sync_env: Any) -> None:
    page = SyncSettingsPage(sync_env.profile.settings, sync_env.keystore)
    qtbot.addWidget(page)
    assert page.key.text() == "" and "TESTPREF" in page.key.placeholderText()  # masked, never shown
    sync_env.server.script = [lambda s: (200, JSON, b'{"status":"healthy"}'), lambda s: (200, JSON, ME)]
    with qtbot.waitSignal(page.identityConfirmed, timeout=5000):
        page.test_connection()
    assert "employee 1001, device LAPTOP-0042 (key TESTPREF)" in page.result.text()
    assert "Clock differs" in page.result.text()
    sync_env.server.script = [lambda s: (200, JSON, b"{}"), lambda s: (401, JSON, b'{"error":"unauthorized"}')]
    with qtbot.waitSignal(page.testFinished, timeout=5000):
        page.test_connection()
    assert "401" in page.errors.visible_errors()["key"] and "401" not in page.result.text()
    page.batch.setValue(321)
    page.key.setText(VALID_KEY.replace("TESTPREF", "NEWPREF1"))
    with qtbot.waitSignal(page.settingsApplied):
        assert page.apply()
    assert sync_env.profile.settings.get("ingestion.batch_size") == 321
    assert sync_env.keystore.get().startswith("wfh_NEWPREF1_") and page.key.text() == ""


def test_settings_page_names_refused_and_dns(qtbot: Any, sync_env: Any) -> None:
    from tests.support.pg import free_port

    page = SyncSettingsPage(sync_env.profile.settings, sync_env.keystore)
    qtbot.addWidget(page)
    page.url.setText(f"http://127.0.0.1:{free_port()}")
    with qtbot.waitSignal(page.testFinished, timeout=10_000) as blocker:
        page.test_connection()
    assert blocker.args[0]["problem"] == "refused"
    page.url.setText("https://no-such-host.invalid")
    with qtbot.waitSignal(page.testFinished, timeout=20_000) as blocker:
        page.test_connection()
    assert blocker.args[0]["problem"] in ("dns", "network"), blocker.args[0]
    page.url.setText("http://example.com")
    page.test_connection()
    assert "http://" in page.errors.visible_errors()["url"]  # the key never goes over plain http to a remote host
