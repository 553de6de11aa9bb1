"""A bad config value shows in Help → Diagnostics as a problem, with the default that is used."""

from __future__ import annotations

import json


def test_diagnostics_lists_an_invalid_config_value(qtbot, qapp, data_dir) -> None:
    from app.ui.context import AppContext
    from app.ui.diagnostics import DiagnosticsDialog

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "config.json").write_text(json.dumps({"monitoring": {"sample_interval": -5}}))
    context = AppContext.open(data_dir)
    try:
        dialog = DiagnosticsDialog(context)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.collected, timeout=10_000):
            pass
        problems = [line for line in dialog.text.toPlainText().splitlines() if line.startswith("Problem:")]
        assert problems == ["Problem: setting monitoring.sample_interval = -5 from config.json is not valid "
                            "(expected a number from 0.2 to 3600); the default 5 is used"]
        assert context.profile.settings.get("monitoring.sample_interval") == 5
        dialog.done(0)
    finally:
        context.cache.cleanup_timer.stop()
        context.profile.close()
