"""Every setting the settings dialog shows, one line each, grouped by page.

To add a setting: append a ``SettingField`` here (its key is a dotted path of ``app.config``
settings, with a default in ``DEFAULTS``). Kinds: bool, int, text, url, choice, patterns (regular
expressions, one per line), readonly (shown, not editable). The categorization rules have their own
page (``RulesEditor``). The server URL, API key, batch size and upload intervals live on the Sync page's
``SyncSettingsPage`` (with Test connection); the API key never goes to config.json.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config import CURRENCY_CODES

PAGES = ("General", "Monitoring", "Sync", "Privacy", "Data")
DATA_DIR_KEY = "paths.data_dir"


@dataclass(frozen=True)
class SettingField:
    """One settings entry: dotted name, label, kind and bounds; the dialog builds its widget from it."""

    page: str
    key: str
    label: str
    kind: str = "int"
    minimum: int = 0
    maximum: int = 2_147_483_647
    suffix: str = ""
    choices: tuple[str, ...] = ()
    help: str = ""
    requires: str = ""  # the key of a bool field without which this one has no effect (greyed while unticked)


FIELDS: tuple[SettingField, ...] = (
    SettingField("General", DATA_DIR_KEY, "Data folder", "readonly",
                 help="Database, config, logs and screenshots of this profile (set with --data-dir)"),
    SettingField("General", "emp_id", "Employee ID", "int", 0),
    SettingField("General", "general.theme", "Theme", "choice", choices=("system", "light", "dark")),
    SettingField("General", "general.start_minimized", "Start hidden in the tray", "bool"),
    SettingField("General", "general.autostart", "Start when I log in", "bool",
                 help="Adds WFH Agent to the session's autostart entries (hidden in the tray)"),
    SettingField("General", "general.log_level", "Log level", "choice", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    SettingField("General", "display.currency", "Bonus currency", "choice", choices=("auto", *CURRENCY_CODES),
                 help="ISO 4217 code shown with bonuses; auto takes the one of your locale (else USD)"),
    SettingField("Monitoring", "monitoring.enabled", "Monitor activity", "bool"),
    SettingField("Monitoring", "monitoring.sample_interval", "Sample every", "int", 1, 300, " s",
                 requires="monitoring.enabled"),
    SettingField("Monitoring", "monitoring.idle_threshold", "Idle after", "int", 30, 3600, " s",
                 requires="monitoring.enabled"),
    SettingField("Monitoring", "monitoring.aggregate_interval", "Recompute aggregates every", "int", 10, 3600, " s",
                 requires="monitoring.enabled"),
    SettingField("Monitoring", "monitoring.workday_hours", "Workday", "int", 1, 24, " h"),
    SettingField("Monitoring", "monitoring.passive_media", "Count media playing as active (passive)", "bool",
                 help="Watching a video or listening to a talk without typing is recorded as passive, not idle"),
    SettingField("Monitoring", "monitoring.passive_inhibitors", "Count idle inhibitors as active (passive)", "bool",
                 help="While an application keeps the screen awake (a video, a call, a presentation), time "
                      "without typing is recorded as passive, not idle"),
    SettingField("Sync", "ingestion.enabled", "Upload to the server", "bool"),
    SettingField("Sync", "ingestion.api.verify_tls", "Verify TLS certificates", "bool"),
    SettingField("Sync", "ingestion.api.connect_timeout_seconds", "Connect timeout", "int", 1, 120, " s"),
    SettingField("Sync", "ingestion.api.read_timeout_seconds", "Read timeout", "int", 1, 600, " s"),
    SettingField("Privacy", "monitoring.screenshots_enabled", "Take screenshots", "bool"),
    SettingField("Privacy", "monitoring.screenshot_format", "Screenshot format", "choice",
                 choices=("auto", "png", "webp", "jpeg"), help="auto: PNG for text-heavy screens, else WebP",
                 requires="monitoring.screenshots_enabled"),
    SettingField("Privacy", "monitoring.screenshot_quality", "WebP/JPEG quality", "int", 1, 100, "",
                 requires="monitoring.screenshots_enabled"),
    SettingField("Privacy", "monitoring.screenshot_monitors", "Capture", "choice", choices=("primary", "all"),
                 requires="monitoring.screenshots_enabled"),
    SettingField("Privacy", "monitoring.screenshot_interval", "Screenshot every", "int", 60, 86_400, " s",
                 requires="monitoring.screenshots_enabled"),
    SettingField("Privacy", "monitoring.screenshot_blur", "Blur screenshots", "int", 0, 50, " px",
                 requires="monitoring.screenshots_enabled"),
    SettingField("Privacy", "retention.screenshots_days", "Keep screenshots", "int", 1, 3650, " days",
                 help="Older screenshots are deleted (file and record); unsent ones wait for the upload"),
    SettingField("Privacy", "monitoring.exclusions.apps", "Never record these apps", "patterns",
                 help="One regular expression per line, matched against the program name"),
    SettingField("Privacy", "monitoring.exclusions.titles", "Never record windows titled", "patterns",
                 help="One regular expression per line; such windows get no title and no screenshot"),
    SettingField("Data", "retention.heartbeats_days", "Keep heartbeats", "int", 1, 3650, " days"),
    SettingField("Data", "retention.sync_log_days", "Keep sync log", "int", 1, 3650, " days"),
    SettingField("Data", "retention.agent_metrics_days", "Keep agent metrics", "int", 1, 3650, " days"),
    SettingField("Data", "ingestion.queue.keep_days", "Keep unsent data", "int", 1, 3650, " days"),
    SettingField("Data", "backups.keep", "Daily backups to keep", "int", 1, 365, ""),
)
