"""GUI (offscreen): consent dialog, pause menu, idle prompt, rules editor tester, Activity view."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from PySide6.QtCore import QObject, Signal

from app.monitor import consent
from app.monitor.screenshots import ScreenshotTaker, encode
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms
from app.ui.activity import (
    ADD_TO_TASK,
    DISCARD,
    KEEP,
    ActivityView,
    ConsentDialog,
    IdlePrompt,
    PauseMenu,
    RulesEditor,
)
from app.ui.activity.idle_prompt import away_duration
from tests.monitor.test_store import span

BERLIN = "Europe/Berlin"


def cell(table: Any, row: int, column: int) -> Any:
    item = table.item(row, column)
    assert item is not None
    return item


def test_consent_dialog_shows_the_exact_text_and_records_only_on_accept(qtbot: Any, profile: Any) -> None:
    dialog = ConsentDialog(profile)
    qtbot.addWidget(dialog)
    assert dialog.text.toPlainText() == consent.CONSENT_TEXT
    dialog.decline_button.click()
    assert not consent.has_consent(profile.db.get())
    dialog = ConsentDialog(profile)
    qtbot.addWidget(dialog)
    dialog.accept_button.click()
    assert consent.has_consent(profile.db.get())
    assert ConsentDialog.ensure(profile) is True     # already given: no dialog


class FakeAgent(QObject):
    stateChanged = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.state, self.state_detail = "running", ""
        self.calls: list[Any] = []

    def pause(self, seconds: float | None) -> None:
        self.calls.append(("pause", seconds))
        self.stateChanged.emit("paused", "until resumed" if seconds is None else "until 2026-11-26T10:15:00.000Z")

    def resume(self) -> None:
        self.calls.append(("resume",))
        self.stateChanged.emit("running", "")


def test_pause_menu_drives_the_agent_and_always_shows_the_state(qtbot: Any) -> None:
    menu = PauseMenu()
    qtbot.addWidget(menu)
    agent = FakeAgent()
    menu.connect_agent(agent)
    assert menu.title() == "Monitoring: on" and not menu.resume_action.isEnabled()
    menu.pause_actions[0].trigger()
    assert agent.calls[-1] == ("pause", 900.0)
    assert menu.title().startswith("Monitoring: paused until ")
    assert menu.resume_action.isEnabled() and not menu.pause_actions[1].isEnabled()
    menu.resume_action.trigger()
    assert agent.calls[-1] == ("resume",) and menu.title() == "Monitoring: on"
    menu.pause_actions[2].trigger()
    assert agent.calls[-1] == ("pause", None) and menu.title() == "Monitoring: paused until resumed"
    menu.set_state("pause_unknown_state", "")
    assert "pause_unknown_state" in menu.title()


def test_idle_prompt_returns_the_choice(qtbot: Any) -> None:
    for button, expected in (("keep_button", KEEP), ("discard_button", DISCARD), ("add_button", ADD_TO_TASK)):
        dialog = IdlePrompt("2026-11-26T09:00:00.000Z", "2026-11-26T09:12:00.000Z", 720, "Write report")
        qtbot.addWidget(dialog)
        assert "12 min" in dialog.message.text()
        getattr(dialog, button).click()
        assert dialog.choice == expected
    without_task = IdlePrompt("2026-11-26T09:00:00.000Z", "2026-11-26T09:12:00.000Z", 720)
    qtbot.addWidget(without_task)
    assert not without_task.add_button.isEnabled()


def test_idle_prompt_shows_seconds_under_a_minute(qtbot: Any) -> None:
    dialog = IdlePrompt("2026-11-26T09:00:00.000Z", "2026-11-26T09:00:55.000Z", 55)
    qtbot.addWidget(dialog)
    assert "idle for 55 s " in dialog.message.text() and "0 min" not in dialog.message.text()
    assert [away_duration(s) for s in (0.4, 59.6, 60, 3599, 3600, 5400)] == [
        "0 s", "1 min", "1 min", "59 min", "1 h 00 min", "1 h 30 min"]


def test_rules_editor_live_tester_and_reordering(qtbot: Any) -> None:
    editor = RulesEditor([{"domain": r"youtube\.com$", "category": "unproductive", "name": "Video"},
                          {"app": "^code$", "category": "productive"}])
    qtbot.addWidget(editor)
    editor.test_domain.setText("youtube.com")
    assert editor.result.text() == "Rule 1 (Video) → unproductive"
    editor.test_domain.setText("")
    editor.test_app.setText("code")
    assert editor.result.text() == "Rule 2 → productive"
    editor.test_app.setText("vim")
    assert editor.result.text() == "No rule matches → neutral"
    with qtbot.waitSignal(editor.rulesChanged):
        editor.add_button.click()
    row = editor.table.rowCount() - 1
    cell(editor.table, row, 0).setText("^vim$")
    assert editor.result.text() == "Rule 3 → neutral"
    cell(editor.table, row, 0).setText("([")                       # broken regex: marked, skipped
    assert "invalid regex" in cell(editor.table, row, 0).toolTip()
    assert editor.result.text() == "No rule matches → neutral"
    editor.table.setCurrentCell(1, 0)
    editor.up_button.click()
    assert [r.get("app") for r in editor.rules()][:2] == ["^code$", None]


def make_day(profile: Any) -> dict[str, Any]:
    store = MonitorStore(profile.db)
    store.write_spans([
        span("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", process_name="code", category="productive"),
        span("2026-11-26T09:00:00Z", "2026-11-26T09:30:00Z", process_name="firefox", domain="youtube.com",
             category="unproductive"),
        span("2026-11-26T09:30:00Z", "2026-11-26T09:45:00Z", status="idle", process_name="", category=None),
    ])
    store.update_day(date(2026, 11, 26), ZoneInfo(BERLIN))
    taker = ScreenshotTaker(profile.paths.data_dir, store)
    row = taker.save(iso_to_ms("2026-11-26T08:30:00Z"), encode(Image.new("RGB", (320, 180), "navy"), fmt="png"))
    assert row is not None
    return row


def test_activity_view_shows_timeline_totals_and_gallery_and_deletes(qtbot: Any, profile: Any) -> None:
    shot = make_day(profile)
    view = ActivityView(profile, tz=BERLIN)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    with qtbot.waitSignal(view.dayLoaded, timeout=5000) as blocker:
        view.show_day(date(2026, 11, 26))
    assert blocker.args == ["2026-11-26"]
    segments = view.timeline.segments()
    assert [(category, entry.label) for _, category, entry in segments] == [
        ("productive", "code"), ("unproductive", "youtube.com"), ("idle", "Idle")]
    assert segments[0][0].width() > segments[1][0].width() > 0
    assert cell(view.apps, 0, 0).text() == "code" and cell(view.apps, 0, 1).text() == "1:00:00"
    assert cell(view.domains, 0, 0).text() == "youtube.com" and cell(view.domains, 0, 2).text() == "unproductive"
    assert "score" in view.summary.text()

    gallery = view.gallery
    gallery.confirm = False
    assert gallery.list.count() == 1
    item = gallery.list.item(0)
    assert not item.icon().isNull()
    item.setSelected(True)
    with qtbot.waitSignal(gallery.screenshotDeleted) as deleted:
        assert gallery.delete_selected() == 1
    assert deleted.args == [shot["client_id"]]
    assert not (profile.paths.data_dir / shot["file_path"]).exists()
    assert profile.db.get().execute("SELECT COUNT(*) FROM screenshots").fetchone()[0] == 0

    with qtbot.waitSignal(view.dayLoaded, timeout=5000):
        view.show_day(date(2026, 11, 25))                # another day: empty, no crash
    assert view.apps.rowCount() == 0 and gallery.list.count() == 0
