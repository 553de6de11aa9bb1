"""``wfh-agent report --from D --to D --by project|week|day|locale [--json|--csv]``: a range report.

The same builder as the Reports tab (``app.services.reports``); what counts and on which day: see
``app.domain.reports``. Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import locale
import sys
from typing import Any

from app.domain.reports import GROUPINGS, DateRange, Report, parse_day
from app.domain.timeparse import format_duration
from app.services import reports


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="totals, scores, limits and bonus over a date range")
    parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day (inclusive)")
    parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day (inclusive)")
    parser.add_argument("--by", default="project", choices=GROUPINGS, help="grouping (default: project)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--csv", action="store_true", help="print CSV")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from app.profile import Profile

    span = DateRange(parse_day(args.start, "--from"), parse_day(args.end, "--to"))
    try:
        locale.setlocale(locale.LC_MONETARY, "")  # for display.currency = auto
    except locale.Error:
        pass
    profile = Profile.open(args.data_dir)
    try:
        currency = reports.resolve_currency(profile.settings.get("display.currency"))
        report = reports.build_report(profile.db.get(), span, args.by, currency)
    finally:
        profile.close()
    if args.json:
        print(reports.to_json(report))
    elif args.csv:
        sys.stdout.write(reports.to_csv(report))
    else:
        print_table(report)
    return 0


def print_table(report: Report) -> None:
    print(f"Report {report.range.start} – {report.range.end}, by {report.by}")
    print(f"{'group':<32} {'tasks':>7} {'time':>11} {'avg score':>9} {'within limit':>20} {'bonus':>16}")
    for row in (*report.rows, report.total):
        label = row.label if len(row.label) <= 32 else row.label[:31] + "…"
        label = "".join(ch if ch.isprintable() else "?" for ch in label)  # device data: no terminal escapes
        print(f"{label:<32} {row.task_count:>7,} {format_duration(row.duration_seconds):>11} "
              f"{reports.score_text(row.avg_score):>9} {reports.compliance_text(row):>20} "
              f"{reports.format_money(row.bonus, report.currency):>16}")
