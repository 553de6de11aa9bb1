"""``wfh-ingest category-rules``: show (JSON on stdout) or replace (``--set FILE``, ``-`` for stdin) the
server's category rules, in the desktop app's rule format: ``[{"app": REGEX, "category": ..., "name": ...},
{"domain": REGEX, ...}]``. A file with any unusable rule changes nothing (exit code 1, every problem listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ingestion.accounts import users
from ingestion.config import Settings
from ingestion.reports import categories

MAX_RULES = 500


def parse_rules(text: str) -> tuple[list[tuple[str, str, str, str | None]], list[str]]:
    """(rules as (field, pattern, category, name), problems); the rules are only usable without problems."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [f"not JSON: {exc}"]
    if not isinstance(data, list) or len(data) > MAX_RULES:
        return [], [f"expected a JSON list of at most {MAX_RULES} rules"]
    rules, problems = [], []
    for number, rule in enumerate(data, 1):
        if not isinstance(rule, dict):
            problems.append(f"rule {number}: must be an object")
            continue
        fields = [f for f in ("app", "title", "domain") if rule.get(f)]
        unknown = sorted(set(rule) - {"app", "title", "domain", "category", "name"})
        if unknown:
            problems.append(f"rule {number}: unknown keys {', '.join(unknown)}")
        elif len(fields) != 1 or fields[0] == "title":
            problems.append(f"rule {number}: set exactly one of app or domain (reports have no titles)")
        else:
            field = fields[0]
            problem = categories.rule_problem(field, rule[field], rule.get("category"), rule.get("name"))
            if problem:
                problems.append(f"rule {number}: {problem}")
            else:
                rules.append((field, rule[field], rule["category"], rule.get("name") or None))
    return rules, problems


def replace_rules(conn: Any, rules: list[tuple[str, str, str, str | None]]) -> None:
    with conn.transaction():
        conn.execute("LOCK TABLE category_rules IN EXCLUSIVE MODE")
        conn.execute("DELETE FROM category_rules")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO category_rules (position, field, pattern, category, name)"
                            " VALUES (%s, %s, %s, %s, %s)", [(i, *rule) for i, rule in enumerate(rules, 1)])


def dump_rules(conn: Any) -> str:
    rows = categories.rules_from_rows(conn.execute(categories.RULES_SQL).fetchall())
    return json.dumps([{r.field: r.pattern, "category": r.category, **({"name": r.name} if r.name else {})}
                       for r in rows], indent=2, ensure_ascii=False)


def cmd_category_rules(settings: Settings, args: argparse.Namespace) -> int:
    if args.set is None:
        with users.open_sync(settings) as conn:
            print(dump_rules(conn))
        return 0
    try:
        text = sys.stdin.read() if args.set == "-" else Path(args.set).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.set}: {exc}", file=sys.stderr)
        return 1
    rules, problems = parse_rules(text)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing changed", file=sys.stderr)
        return 1
    with users.open_sync(settings) as conn:
        replace_rules(conn, rules)
    print(f"{len(rules)} category rules stored", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("category-rules", help="show or replace the category rules of the reports (JSON)")
    rules.add_argument("--set", metavar="FILE", help="replace the rules with those in FILE (- for stdin)")
    rules.set_defaults(func=cmd_category_rules)
