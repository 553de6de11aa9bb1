"""Qt user interface of the desktop app."""
