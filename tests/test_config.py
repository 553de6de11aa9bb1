"""Settings layering and a broken config.json kept aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config import Settings
from app.paths import resolve_paths


def test_defaults_file_and_environment_layer(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path).ensure()
    paths.config_path.write_text(json.dumps({"emp_id": 7, "ingestion": {"api": {"base_url": "https://a"}}}))
    settings = Settings(paths, environ={"WFH_AGENT_SERVER_URL": "https://b", "WFH_AGENT_BATCH_SIZE": "1000"})
    assert settings.get("emp_id") == 7
    assert settings.get("ingestion.api.base_url") == "https://b"
    assert settings.get("ingestion.api.auth_header") == "X-Api-Key"
    assert settings.get("ingestion.batch_size") == 1000
    assert settings.env_overridden() == {"ingestion.api.base_url", "ingestion.batch_size"}


def test_broken_config_is_kept_aside_and_reported(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path).ensure()
    paths.config_path.write_text("{not json", encoding="utf-8")
    settings = Settings(paths, environ={})
    assert settings.get("ingestion.mode") == "api"
    assert len(settings.problems) == 1 and "kept as config.json.broken-" in settings.problems[0]
    kept = list(tmp_path.glob("config.json.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    assert not paths.config_path.exists()


def test_save_is_private_and_keeps_env_out(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path).ensure()
    settings = Settings(paths, environ={"WFH_AGENT_EMP_ID": "99"})
    settings.set("monitoring.sample_interval", 10)
    settings.save()
    saved = json.loads(paths.config_path.read_text())
    assert saved == {"monitoring": {"sample_interval": 10}}
    assert paths.config_path.stat().st_mode & 0o777 == 0o600
    assert Settings(paths, environ={}).get("monitoring.sample_interval") == 10


def test_bad_environment_value_is_reported(tmp_path: Path) -> None:
    settings = Settings(resolve_paths(tmp_path).ensure(), environ={"WFH_AGENT_EMP_ID": "abc"})
    assert settings.get("emp_id") == 0
    assert any("WFH_AGENT_EMP_ID" in p for p in settings.problems)


def test_two_profiles_do_not_share_files(tmp_path: Path) -> None:
    a, b = resolve_paths(tmp_path / "a"), resolve_paths(tmp_path / "b")
    for attr in ("db_path", "config_path", "screenshots_dir", "backups_dir", "key_file"):
        assert getattr(a, attr) != getattr(b, attr)
        assert str(getattr(a, attr)).startswith(str(tmp_path / "a"))
    assert a.log_dir == tmp_path / "a" / "logs" and a.lock_name != b.lock_name


def test_typed_reads_fall_back_to_the_one_default(tmp_path: Path) -> None:
    """A hand-edited config.json with wrong types reads as the built-in default, not as a crash or a zero."""
    paths = resolve_paths(tmp_path)
    paths.ensure()
    paths.config_path.write_text(json.dumps({
        "emp_id": "seven", "ingestion": {"enabled": "yes", "mode": 3, "sync": {"heartbeats_seconds": 0},
                                         "batch_size": 50},
        "retention": {"sync_log_days": 2.5}, "monitoring": {"workday_hours": 7.5}}))
    settings = Settings(paths, environ={})
    assert settings.integer("ingestion.batch_size", minimum=1) == 50
    assert settings.integer("ingestion.sync.heartbeats_seconds", minimum=1) == 300
    assert settings.integer("emp_id") == 0
    assert settings.integer("retention.sync_log_days") == 14
    assert settings.flag("ingestion.enabled") is True
    assert settings.text("ingestion.mode") == "api"
    assert settings.number("monitoring.workday_hours") == 7.5
    with pytest.raises(KeyError):
        settings.integer("no.such.setting")


def test_every_default_has_a_rule_and_passes_it() -> None:
    from app.config import DEFAULTS, RULES

    def leaves(node: dict, prefix: str = "") -> dict:
        out = {}
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                out.update(leaves(value, dotted + "."))
            else:
                out[dotted] = value
        return out

    defaults = leaves(DEFAULTS)
    assert set(defaults) - set(RULES) == set(), "add a rule to app.config.RULES"
    assert set(RULES) - set(defaults) == set()
    assert [path for path, value in defaults.items() if not RULES[path].accepts(value)] == []


def test_invalid_values_are_reported_once_and_defaults_used(tmp_path: Path, caplog) -> None:
    paths = resolve_paths(tmp_path).ensure()
    paths.config_path.write_text(json.dumps({
        "ingestion": {"batch_size": "lots", "api": {"verify_tls": "no"}},
        "monitoring": {"sample_interval": -5, "screenshot_quality": 101, "idle_threshold": 90},
        "general": {"theme": "purple", "log_level": "debug"},
    }))
    with caplog.at_level("WARNING", logger="app.config"):
        settings = Settings(paths, environ={"WFH_AGENT_BATCH_SIZE": "5000"})
    assert settings.get("ingestion.batch_size") == 200
    assert settings.get("monitoring.sample_interval") == 5
    assert settings.get("monitoring.screenshot_quality") == 70
    assert settings.get("ingestion.api.verify_tls") is True and settings.get("general.theme") == "system"
    assert settings.get("monitoring.idle_threshold") == 90 and settings.get("general.log_level") == "debug"
    bad = ("ingestion.batch_size", "ingestion.api.verify_tls", "monitoring.sample_interval",
           "monitoring.screenshot_quality", "general.theme")
    assert sorted(p.split(" = ")[0].removeprefix("setting ") for p in settings.problems) == sorted(bad)
    assert any("environment variable WFH_AGENT_BATCH_SIZE" in p and "from 1 to 1000" in p for p in settings.problems)
    assert any("-5 from config.json" in p and "the default 5 is used" in p for p in settings.problems)
    assert len([r for r in caplog.records if "is not valid" in r.getMessage()]) == len(bad)
    # a later set() of another key keeps the defaults; setting the key itself takes the new value
    settings.set("emp_id", 3)
    assert settings.get("ingestion.batch_size") == 200 and len(settings.problems) == len(bad)
    settings.set("monitoring.sample_interval", 2)
    assert settings.get("monitoring.sample_interval") == 2


def test_a_block_that_is_not_an_object_is_reported_once(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path).ensure()
    paths.config_path.write_text(json.dumps({"ingestion": "lots", "monitoring": {"exclusions": 3}}))
    settings = Settings(paths, environ={})
    assert settings.get("ingestion.batch_size") == 200 and settings.get("ingestion.api.verify_tls") is True
    assert settings.get("monitoring.exclusions.apps") and settings.get("monitoring.sample_interval") == 5
    assert settings.problems == [
        "setting ingestion = 'lots' from config.json is not valid (expected an object); its defaults are used",
        "setting monitoring.exclusions = 3 from config.json is not valid (expected an object); its defaults are used",
    ]
