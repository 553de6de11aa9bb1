"""Categories of applications and domains for the reports' top lists.

Devices send a productivity tag per domain (``website_usage.tag``) but none per application, so the
server keeps its own ordered rules (table ``category_rules``, migration 0005, defaults = the desktop
app's default rules, edited by admins with ``wfh-ingest category-rules``): a case-insensitive regex
(Python ``re.search``, as on the desktop) on the process name or on the domain; the first match
wins; no match is ``neutral``. A domain's tag from the device, when there is one, comes first: it
is what the employee's own rules decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CATEGORIES = ("productive", "unproductive", "neutral")
FIELDS = ("app", "domain")
RULES_SQL = "SELECT position, field, pattern, category, name FROM category_rules ORDER BY position"


@dataclass(frozen=True)
class Rule:
    """One category rule: a regex on ``field`` (app or domain) that gives ``category`` (and a name)."""

    position: int
    field: str
    pattern: str
    category: str
    name: str | None


def rule_problem(field: Any, pattern: Any, category: Any, name: Any) -> str | None:
    """Why a rule cannot be used (``None`` when it can): shown by the CLI before anything is saved."""
    if field not in FIELDS:
        return f"field must be one of {', '.join(FIELDS)}"
    if category not in CATEGORIES:
        return f"category must be one of {', '.join(CATEGORIES)}"
    if not isinstance(pattern, str) or not 1 <= len(pattern) <= 1000:
        return "pattern must be text of 1 to 1000 characters"
    if name is not None and (not isinstance(name, str) or len(name) > 128):
        return "name must be text of at most 128 characters"
    try:
        _compile(pattern)
    except re.error as exc:
        return f"pattern: invalid regex ({exc})"
    return None


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def rules_from_rows(rows: list[Any]) -> list[Rule]:
    return [Rule(int(p), str(f), str(pat), str(c), n) for p, f, pat, c, n in rows]


def categorize(rules: list[Rule], field: str, value: str) -> tuple[str, str | None]:
    """(category, rule name) of the first rule on ``field`` whose regex matches; neutral otherwise.
    A stored rule that no longer compiles (edited in SQL) is skipped, never fatal."""
    for rule in rules:
        if rule.field != field:
            continue
        try:
            matched = _compile(rule.pattern).search(value) is not None
        except re.error:
            continue
        if matched:
            return rule.category, rule.name
    return "neutral", None
