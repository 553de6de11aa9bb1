"""Light or dark palette: follows the system's colour scheme unless the user chose one.

Qt's Fusion style is used so the palette applies the same on every platform; when the system
switches (``QStyleHints.colorSchemeChanged``) the palette follows while the app runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: QColor(37, 39, 43), role.WindowText: QColor(225, 227, 230),
        role.Base: QColor(28, 30, 33), role.AlternateBase: QColor(43, 45, 50),
        role.ToolTipBase: QColor(50, 52, 58), role.ToolTipText: QColor(230, 230, 230),
        role.Text: QColor(225, 227, 230), role.Button: QColor(48, 50, 56), role.ButtonText: QColor(225, 227, 230),
        role.BrightText: QColor(255, 90, 90), role.Link: QColor(90, 160, 255),
        role.Highlight: QColor(56, 120, 210), role.HighlightedText: QColor(255, 255, 255),
        role.PlaceholderText: QColor(140, 144, 150), role.Mid: QColor(70, 72, 78), role.Dark: QColor(20, 21, 24),
        role.Light: QColor(70, 72, 78), role.Midlight: QColor(60, 62, 68), role.Shadow: QColor(0, 0, 0),
    }
    for colour_role, colour in colours.items():
        palette.setColor(colour_role, colour)
    disabled = QPalette.ColorGroup.Disabled
    for colour_role in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(disabled, colour_role, QColor(120, 122, 128))
    return palette


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str = "system") -> bool:
    """Set Fusion and the palette for ``theme``; returns True when the dark palette is in use."""
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    return dark


def follow_system(app: QApplication, theme_getter: object) -> None:
    """Re-apply the theme whenever the system colour scheme changes (only matters for "system")."""
    def _changed(_scheme: Qt.ColorScheme) -> None:
        theme = theme_getter() if callable(theme_getter) else "system"
        apply_theme(app, str(theme))

    QGuiApplication.styleHints().colorSchemeChanged.connect(_changed)
