"""``wfh-agent import-legacy FILE [--json]``: copy a pre-2026 database into this profile."""

from __future__ import annotations

import argparse
from typing import Any

from app.profile import Profile
from app.storage.legacy_import import import_legacy, report_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import-legacy", help="import weeks and tasks from an old WFH Agent database")
    parser.add_argument("file", help="the legacy SQLite file (opened read-only, never modified)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    profile = Profile.open(args.data_dir)
    try:
        report = import_legacy(profile.db.get(), args.file)
    finally:
        profile.close()
    print(report_json(report) if args.json else report.to_text())
    return 0 if report.verified else 1
