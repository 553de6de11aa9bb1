"""Sync UI pieces: tray state icons and texts (``status``), the shared Sync now / Work offline actions
(``actions``), the Sync panel and the Settings → Sync page. ``app.ui.shell`` wires them::

    sync = SyncController(profile)             # after Profile.open; worker gets its own QThread + SQLite conn
    actions = SyncActions(parent)              # one "Sync now" and one "Work offline" for menu, tray, panel
    actions.syncNowRequested.connect(sync.sync_now)
    actions.workOfflineToggled.connect(sync.set_work_offline)
    sync.worker.statusChanged.connect(actions.show_status)   # bound slots only: the worker emits in its thread
    panel = SyncPanel(profile.db, actions)
    sync.worker.statusChanged.connect(panel.show_status)
    page = SyncSettingsPage(profile.settings, sync.keystore)   # a page of the settings dialog
"""
