"""Every setting the settings dialog shows, one line each, grouped by page.

To add a setting: append a ``SettingField`` here (its key is a dotted path of ``app.config``
settings, with a default in ``DEFAULTS``). Kinds: bool, int, text, url, choice, secret (stored by
``ApiKeyStore``, never in config.json), readonly (shown, not editable).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGES = ("General", "Monitoring", "Sync", "Privacy", "Data")
DATA_DIR_KEY = "paths.data_dir"
API_KEY_KEY = "secret.api_key"


@dataclass(frozen=True)
class SettingField:
    page: str
    key: str
    label: str
    kind: str = "int"
    minimum: int = 0
    maximum: int = 2_147_483_647
    suffix: str = ""
    choices: tuple[str, ...] = ()
    help: str = ""


FIELDS: tuple[SettingField, ...] = (
    SettingField("General", DATA_DIR_KEY, "Data folder", "readonly",
                 help="Database, config, logs and screenshots of this profile (set with --data-dir)"),
    SettingField("General", "emp_id", "Employee ID", "int", 0),
    SettingField("General", "general.theme", "Theme", "choice", choices=("system", "light", "dark")),
    SettingField("General", "general.start_minimized", "Start hidden in the tray", "bool"),
    SettingField("General", "general.autostart", "Start when I log in", "bool",
                 help="Adds WFH Agent to the session's autostart entries (hidden in the tray)"),
    SettingField("General", "general.log_level", "Log level", "choice", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    SettingField("Monitoring", "monitoring.enabled", "Monitor activity", "bool"),
    SettingField("Monitoring", "monitoring.sample_interval", "Sample every", "int", 1, 300, " s"),
    SettingField("Monitoring", "monitoring.idle_threshold", "Idle after", "int", 30, 3600, " s"),
    SettingField("Monitoring", "monitoring.aggregate_interval", "Recompute aggregates every", "int", 10, 3600, " s"),
    SettingField("Monitoring", "monitoring.workday_hours", "Workday", "int", 1, 24, " h"),
    SettingField("Sync", "ingestion.enabled", "Upload to the server", "bool"),
    SettingField("Sync", "ingestion.api.base_url", "Server URL", "url", help="https://… of the ingestion server"),
    SettingField("Sync", API_KEY_KEY, "API key", "secret"),
    SettingField("Sync", "ingestion.sync.heartbeats_seconds", "Send heartbeats every", "int", 60, 86_400, " s"),
    SettingField("Sync", "ingestion.sync.other_seconds", "Send other data every", "int", 60, 86_400, " s"),
    SettingField("Sync", "ingestion.batch_size", "Batch size", "int", 1, 1000, " records"),
    SettingField("Sync", "ingestion.api.verify_tls", "Verify TLS certificates", "bool"),
    SettingField("Sync", "ingestion.api.connect_timeout_seconds", "Connect timeout", "int", 1, 120, " s"),
    SettingField("Sync", "ingestion.api.read_timeout_seconds", "Read timeout", "int", 1, 600, " s"),
    SettingField("Privacy", "monitoring.screenshots_enabled", "Take screenshots", "bool"),
    SettingField("Privacy", "monitoring.screenshot_interval", "Screenshot every", "int", 60, 86_400, " s"),
    SettingField("Privacy", "monitoring.screenshot_blur", "Blur screenshots", "int", 0, 50, " px"),
    SettingField("Privacy", "monitoring.screenshot_retention_days", "Keep screenshots", "int", 1, 3650, " days"),
    SettingField("Data", "retention.heartbeats_days", "Keep heartbeats", "int", 1, 3650, " days"),
    SettingField("Data", "retention.screenshots_days", "Keep screenshot records", "int", 1, 3650, " days"),
    SettingField("Data", "retention.sync_log_days", "Keep sync log", "int", 1, 3650, " days"),
    SettingField("Data", "retention.agent_metrics_days", "Keep agent metrics", "int", 1, 3650, " days"),
    SettingField("Data", "ingestion.queue.keep_days", "Keep unsent data", "int", 1, 3650, " days"),
    SettingField("Data", "backups.keep", "Daily backups to keep", "int", 1, 365, ""),
)
