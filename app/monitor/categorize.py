"""Categorization: ordered, user-editable regex rules → productive / unproductive / neutral.

A rule has optional regexes on ``app`` (process name), ``title`` and ``domain``; every regex the
rule sets must match (``re.search``, case-insensitive) and the first matching rule wins. No match
means ``neutral``. Rules are plain dicts so they live in ``config.json`` (``monitoring.rules``)
unchanged; ``match_rule`` tells the Settings tester which rule decided. Exclusions
(``monitoring.exclusions``) use the same matching: an excluded window's title is blanked and no
screenshot is taken while it is in front.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CATEGORIES = ("productive", "unproductive", "neutral")
FIELDS = ("app", "title", "domain")

DEFAULT_RULES: list[dict[str, str]] = [
    {"app": r"^(code|code-oss|codium|pycharm.*|idea.*|clion.*|goland.*|webstorm.*|rider.*|"
            r"studio.*|sublime_text|subl|vim|nvim|gvim|emacs|kate|gedit|devenv|xcode)(\.exe)?$",
     "category": "productive", "name": "Development"},
    {"app": r"^(gnome-terminal.*|konsole|xterm|alacritty|kitty|wezterm.*|tilix|terminator|"
            r"windowsterminal|wt|cmd|powershell|pwsh|iterm2|terminal)(\.exe)?$",
     "category": "productive", "name": "Terminal"},
    {"domain": r"(^|\.)(github\.com|gitlab\.com|bitbucket\.org|stackoverflow\.com|"
               r"stackexchange\.com|readthedocs\.io|python\.org|developer\.mozilla\.org|"
               r"docs\.google\.com|atlassian\.net|notion\.so|figma\.com)$",
     "category": "productive", "name": "Work web"},
    {"app": r"^(soffice.*|libreoffice.*|winword|excel|powerpnt|onenote|outlook|thunderbird|"
            r"evince|okular|acrord32|acrobat)(\.exe)?$",
     "category": "productive", "name": "Office"},
    {"app": r"^(slack|teams|ms-teams|zoom|discord|skype|signal|telegram.*|element)(\.exe)?$",
     "category": "neutral", "name": "Communication"},
    {"domain": r"(^|\.)(mail\.google\.com|outlook\.office\.com|outlook\.live\.com|slack\.com|"
               r"teams\.microsoft\.com|meet\.google\.com|zoom\.us)$",
     "category": "neutral", "name": "Communication"},
    {"domain": r"(^|\.)(youtube\.com|netflix\.com|twitch\.tv|primevideo\.com|disneyplus\.com|"
               r"facebook\.com|instagram\.com|tiktok\.com|twitter\.com|x\.com|reddit\.com|"
               r"9gag\.com|pinterest\.com)$",
     "category": "unproductive", "name": "Entertainment & social"},
    {"app": r"^(steam|spotify|vlc|mpv|totem|epicgameslauncher|netflix)(\.exe)?$",
     "category": "unproductive", "name": "Entertainment"},
]

DEFAULT_EXCLUSIONS: dict[str, list[str]] = {
    "apps": [r"^(keepassxc|keepass|1password|bitwarden|enpass)(\.exe)?$"],
    "titles": [r"(?i)private browsing|incognito|inprivate"],
}


@dataclass(frozen=True)
class RuleMatch:
    """The first categorisation rule that matched: its position, category, optional name and the rule itself."""

    index: int
    category: str
    name: str | None
    rule: Mapping[str, Any]


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def rule_problems(rule: Mapping[str, Any]) -> list[str]:
    """What is wrong with one rule (empty list = usable); shown by the rules editor."""
    problems: list[str] = []
    if rule.get("category") not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}")
    patterns = [(f, rule.get(f)) for f in FIELDS if rule.get(f)]
    if not patterns:
        problems.append("set at least one of app, title, domain")
    for field_name, pattern in patterns:
        if not isinstance(pattern, str):
            problems.append(f"{field_name}: must be text")
            continue
        try:
            _compile(pattern)
        except re.error as exc:
            problems.append(f"{field_name}: invalid regex ({exc})")
    return problems


def _matches(rule: Mapping[str, Any], values: Mapping[str, str]) -> bool:
    used = False
    for field_name in FIELDS:
        pattern = rule.get(field_name)
        if not pattern:
            continue
        used = True
        if _compile(pattern).search(values[field_name]) is None:
            return False
    return used


def match_rule(
    rules: Sequence[Mapping[str, Any]], app: str, title: str, domain: str | None
) -> RuleMatch | None:
    """The first usable rule that matches, or ``None``. Broken rules are skipped, never fatal."""
    values = {"app": app or "", "title": title or "", "domain": domain or ""}
    for index, rule in enumerate(rules):
        if rule_problems(rule):
            continue
        if _matches(rule, values):
            name = rule.get("name") or None
            return RuleMatch(index=index, category=str(rule["category"]), name=name, rule=rule)
    return None


def categorize(
    rules: Sequence[Mapping[str, Any]], app: str, title: str, domain: str | None
) -> tuple[str, str | None]:
    """``(category, category_name)``; ``("neutral", None)`` when no rule matches."""
    found = match_rule(rules, app, title, domain)
    return (found.category, found.name) if found else ("neutral", None)


def _any_match(patterns: Iterable[str], value: str) -> bool:
    for pattern in patterns:
        try:
            if _compile(pattern).search(value):
                return True
        except re.error:
            continue
    return False


def is_excluded(exclusions: Mapping[str, Any], app: str, title: str) -> bool:
    """True when the app or the title matches one of the exclusion patterns."""
    apps = exclusions.get("apps") or []
    titles = exclusions.get("titles") or []
    return _any_match(apps, app or "") or _any_match(titles, title or "")
