"""Sync UI pieces (issue 7): tray state icons and tooltip, tray-menu actions, the Sync panel and the
Settings → Sync page. Standalone widgets; the main window and tray embed them."""
