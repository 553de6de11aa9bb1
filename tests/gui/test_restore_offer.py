"""Issue 18 in the window: the first-run choice "Restore my weeks and tasks from the server" (empty profile, server
and key set) runs the restore on the serialized writer and reports its counts; tasks received from another
device say so ("from DESKTOP-2") in the task table, escaped."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import Qt

from app.sync.keystore import KeyStore
from app.ui.sync.restore_offer import OFFERED_KEY, RESTORE_TEXT, RestoreOffer
from tests.sync.replay import VALID_KEY, ReplayServer, Seen, ok_responder
from tests.sync.test_worklog_pull import task_record, week_record

HEADERS = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}


@pytest.fixture
def server() -> Iterator[tuple[ReplayServer, dict[str, list[dict[str, Any]]]]]:
    week = week_record("2026-W48", "2026-11-24T10:00:00.000Z", device="<b>DESKTOP-2</b>")
    records = {"weeks": [week],
               "tasks": [task_record(week["client_id"], "2026-11-24T10:00:00.000Z", project_name=f"T{i}",
                                     device="<b>DESKTOP-2</b>") for i in range(3)]}

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(seen.path)
        if seen.method == "GET" and parts.path.startswith("/api/v1/me/"):
            stream = parts.path.rsplit("/", 1)[1]
            since = parse_qs(parts.query).get("since", [None])[0]
            items = records[stream] if since is None else []
            cursor = f"end-{stream}" if items else since
            return 200, HEADERS, json.dumps({"records": items, "next_since": cursor}).encode()
        return ok_responder(seen)

    replay = ReplayServer(fallback=answer)
    yield replay, records
    replay.close()


def _offer(context: Any, server: ReplayServer, key: str | None = VALID_KEY) -> RestoreOffer:
    from PySide6.QtWidgets import QWidget

    context.profile.settings.set("ingestion.api.base_url", server.url)
    keystore = KeyStore(context.profile.paths.key_file, environ={}, backend=None)
    if key:
        keystore.set(key)
    window = QWidget()
    offer = RestoreOffer(context, keystore, window)
    offer._test_window = window  # type: ignore[attr-defined]  # kept alive with the offer
    return offer


def test_first_run_choice_restores_with_progress_and_reports_counts(qtbot: Any, context: Any, server: Any) -> None:
    replay, _records = server
    offer = _offer(context, replay)
    assert offer.should_offer()
    offer.offer()
    assert offer.question is not None and offer.question.isVisible()
    assert offer.question.textFormat() == Qt.TextFormat.PlainText
    button = offer.restore_button
    assert button.text() == RESTORE_TEXT
    with qtbot.waitSignal(offer.restored, timeout=20_000):
        button.click()
    conn = context.profile.db.get()
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 3
    assert offer.report_box is not None
    text = offer.report_box.text()
    assert "Read 1 weeks and 3 tasks" in text and "now has 1 weeks and 3 tasks" in text, text
    assert offer.report_box.textFormat() == Qt.TextFormat.PlainText
    week_id = conn.execute("SELECT id FROM weeks").fetchone()[0]
    assert len(context.data.get_week_tasks(week_id)) == 3, "the views re-read (caches dropped)"
    assert context.profile.db.get().execute("SELECT value FROM settings WHERE key = ?",
                                            (OFFERED_KEY,)).fetchone()[0] == "1"
    assert not offer.should_offer(), "asked once"


def test_declined_choice_is_not_asked_again_and_restores_nothing(qtbot: Any, context: Any, server: Any) -> None:
    replay, _records = server
    offer = _offer(context, replay)
    offer.offer()
    assert offer.question is not None
    decline = [b for b in offer.question.buttons() if b is not offer.restore_button][0]
    decline.click()
    qtbot.waitUntil(lambda: not offer.question.isVisible(), timeout=5000)  # type: ignore[union-attr]
    assert not offer.should_offer()
    assert not [s for s in replay.seen if s.path.startswith("/api/v1/me/")]


def test_not_offered_without_a_key_or_with_data(context: Any, server: Any) -> None:
    replay, _records = server
    assert not _offer(context, replay, key=None).should_offer()
    offer = _offer(context, replay)
    context.data.create_week("Mine")
    assert not offer.should_offer()
    offer.offer()
    assert offer.question is None


def test_task_from_another_device_says_so_escaped(qtbot: Any, context: Any) -> None:
    from app.ui.tasks.model import TaskTableModel

    data = context.data
    week = data.create_week("2026-W49")
    local = data.create_task(week, {"project_name": "mine"})
    remote = data.create_task(week, {"project_name": "theirs"})
    conn = context.profile.db.get()
    conn.execute("UPDATE tasks_optimized SET origin_device = '<b>DESKTOP-2</b>' WHERE id = ?", (remote,))
    context.cache.invalidate_all()
    model = TaskTableModel(data)
    model.load_week(week)
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
    tips = {}
    for row in range(model.rowCount()):
        task = model.data(model.index(row, 0), Qt.ItemDataRole.UserRole + 1)
        tips[task.id] = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert tips[local] is None
    assert tips[remote] == "<qt>from &lt;b&gt;DESKTOP-2&lt;/b&gt;</qt>"
    assert uuid.UUID(conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (remote,)).fetchone()[0])
