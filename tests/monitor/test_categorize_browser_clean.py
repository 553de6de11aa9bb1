"""Categorization rules, browser title parsing and contract string cleaning."""

from __future__ import annotations

from app.monitor.browser import parse_title
from app.monitor.categorize import (
    DEFAULT_EXCLUSIONS,
    DEFAULT_RULES,
    categorize,
    is_excluded,
    match_rule,
    rule_problems,
)
from app.monitor.clean import clean_domain, clean_text, clean_url


def test_first_matching_rule_wins_and_tells_which() -> None:
    rules = [
        {"domain": r"youtube\.com$", "title": "tutorial", "category": "productive", "name": "Learning"},
        {"domain": r"youtube\.com$", "category": "unproductive"},
    ]
    found = match_rule(rules, "firefox", "Python tutorial - YouTube", "youtube.com")
    assert found is not None and found.index == 0 and found.name == "Learning"
    assert categorize(rules, "firefox", "Cats", "youtube.com") == ("unproductive", None)
    assert categorize(rules, "firefox", "Cats", None) == ("neutral", None)


def test_broken_rules_are_skipped_and_reported() -> None:
    rules = [{"app": "([", "category": "productive"}, {"app": "code", "category": "bogus"},
             {"category": "productive"}, {"app": "code", "category": "neutral"}]
    assert "invalid regex" in rule_problems(rules[0])[0]
    assert rule_problems(rules[1]) and rule_problems(rules[2])
    found = match_rule(rules, "code", "", None)
    assert found is not None and found.index == 3


def test_default_rules_are_valid_and_sensible() -> None:
    assert all(not rule_problems(rule) for rule in DEFAULT_RULES)
    assert categorize(DEFAULT_RULES, "code", "main.py", None)[0] == "productive"
    assert categorize(DEFAULT_RULES, "firefox", "x", "www.youtube.com")[0] == "unproductive"
    assert categorize(DEFAULT_RULES, "firefox", "x", "github.com")[0] == "productive"
    assert categorize(DEFAULT_RULES, "Slack.exe", "", None) == ("neutral", "Communication")
    assert categorize(DEFAULT_RULES, "notepad", "", None) == ("neutral", None)


def test_exclusions_by_app_and_title() -> None:
    assert is_excluded(DEFAULT_EXCLUSIONS, "KeePassXC", "Passwords")
    assert is_excluded(DEFAULT_EXCLUSIONS, "firefox", "Mozilla Firefox Private Browsing")
    assert not is_excluded(DEFAULT_EXCLUSIONS, "firefox", "GitHub")
    assert not is_excluded({"apps": ["(["]}, "x", "y")  # a broken pattern never matches


def test_browser_titles() -> None:
    assert parse_title("firefox", "Pull requests · org/repo · GitHub — Mozilla Firefox") == ("github.com", None)
    assert parse_title("chrome", "https://example.org/a?b=1 - Google Chrome") == (
        "example.org", "https://example.org/a?b=1")
    assert parse_title("msedge.exe", "docs.python.org/3/library - Microsoft\u200b Edge") == (
        "docs.python.org", None)
    assert parse_title("brave", "Never Gonna Give You Up - YouTube - Brave") == ("youtube.com", None)
    assert parse_title("firefox", "New Tab — Mozilla Firefox") == (None, None)
    assert parse_title("firefox", "report.pdf — Mozilla Firefox") == (None, None)
    assert parse_title("code", "github.com - Visual Studio Code") == (None, None)  # not a browser


def test_clean_text_removes_nul_fixes_surrogates_controls_and_truncates() -> None:
    assert clean_text("a\x00b\x07c\nd", 100) == "ab c d"
    assert clean_text("x\ud800y", 10) == "x\ufffdy"
    assert clean_text("\ud83d\ude00", 10) == "\U0001f600"  # a valid pair is joined, not replaced
    long = "é" * 100_000
    assert len(clean_text(long, 1024)) == 1024
    assert clean_text(None, 5) == ""


def test_clean_url_and_domain() -> None:
    url = "https://example.com/path?" + "q=1&" * 1000 + "#frag"
    assert clean_url(url) == "https://example.com/path"
    assert clean_url("https://example.com/" + "a" * 3000) is None
    assert clean_url("https://x.y/\x00z") == "https://x.y/z"
    assert clean_domain("WWW.Example.COM.") == "www.example.com"
    assert clean_domain("a" * 254) is None
    assert clean_domain("") is None
