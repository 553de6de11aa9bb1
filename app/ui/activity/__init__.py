"""Activity UI (issue 5): standalone widgets the MainWindow embeds. Each needs one call:

* ``ActivityView(profile)`` — the Activity page: timeline, per-app / per-domain totals, gallery.
* ``ConsentDialog.ensure(profile, parent) -> bool`` — before starting the agent on first run.
* ``IdlePrompt.ask(started_at, ended_at, seconds, task_name, parent) -> "keep"|"discard"|"add_to_task"``
  — connect to ``MonitorAgent.idleReturned``; the caller applies the choice to its timer.
* ``PauseMenu(parent).connect_agent(agent)`` — 15 min / 1 h / until resumed, state in its title.
* ``RulesEditor(rules)`` — Settings page; ``rules()`` gives the list for ``monitoring.rules``.
"""

from app.ui.activity.activity_view import ActivityView
from app.ui.activity.consent_dialog import ConsentDialog
from app.ui.activity.idle_prompt import ADD_TO_TASK, DISCARD, KEEP, IdlePrompt
from app.ui.activity.pause_menu import PauseMenu
from app.ui.activity.rules_editor import RulesEditor

__all__ = ["ADD_TO_TASK", "DISCARD", "KEEP", "ActivityView", "ConsentDialog", "IdlePrompt", "PauseMenu",
           "RulesEditor"]
