"""Sync UI pieces (issue 7): tray state icons and tooltip, tray-menu actions, the Sync panel and the
Settings → Sync page. Standalone widgets; the main window and tray embed them like this::

    from app.sync.worker import SyncController
    from app.ui.sync.menu import SyncTrayActions
    from app.ui.sync.panel import SyncPanel
    from app.ui.sync.settings_page import SyncSettingsPage
    from app.ui.sync.status import sync_icon

    sync = SyncController(profile)             # after Profile.open; worker gets its own QThread + SQLite conn
    sync.start()                               # at start-up (pass --offline through sync.set_work_offline(True))
    app.aboutToQuit.connect(sync.stop)         # returns within 2 s, abandons the in-flight request

    # The worker emits from its own thread: connect its signals to slots (bound methods) of GUI-thread
    # QObjects so the calls are queued; a lambda would run in the worker thread. See app.ui.agents.
    # "retrying in 40 s" counts down: refresh the tooltip from a 1 s QTimer while state == "unreachable"

    actions = SyncTrayActions(tray, sync_now=sync.sync_now, set_work_offline=sync.set_work_offline,
                              set_monitoring_paused=..., open_window=..., quit_app=...)
    tray.menu.insertActions(tray.menu.actions()[0], actions.actions())
    sync.worker.syncStateChanged.connect(actions.set_state)

    panel = SyncPanel(profile.db, sync)        # a tab/page of the main window
    page = SyncSettingsPage(profile.settings, sync.keystore)   # a page of the settings dialog
    page.settingsApplied.connect(sync.settings_changed)
    page.identityConfirmed.connect(sync.identity_confirmed)
    # monitoring: runner.screenshot_taken → sync.screenshot_captured (optional; a 5 s poll also notices)
"""
