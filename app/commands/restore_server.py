"""``wfh-agent --data-dir DIR restore-from-server [--merge] [--json]``: the employee's weeks and tasks from the
server (every device's, contract v1.2 §5.7) into this profile — a new or replaced computer.

An empty profile (no weeks, no tasks) is filled; a profile with data only with ``--merge`` (by UUID, the newer
version wins, conflicts listed). Without it the command exits non-zero naming ``--merge`` and changes nothing.
Progress goes to stderr, the counts to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("restore-from-server",
                                   help="download your weeks and tasks from the server into this profile")
    parser.add_argument("--merge", action="store_true",
                        help="merge into a profile that already has weeks or tasks (by UUID, newer wins)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _progress(stream: str, read: int) -> None:
    print(f"{stream}: {read:,} read", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from app.errors import WfhError
    from app.profile import Profile
    from app.sync import worklog
    from app.sync.keystore import for_profile

    profile = Profile.open(args.data_dir)
    try:
        conn = profile.db.get()
        worklog.check_restorable(conn, merge=args.merge)  # before any request: a refusal changes nothing
        client = worklog.client_for(profile.settings, for_profile(profile.paths, profile.settings))
        try:
            result = worklog.restore(conn, client.get_changes, merge=args.merge, progress=_progress)
        except worklog.PullError as exc:
            raise WfhError(worklog.explain(exc)) from None
        finally:
            client.close()
        weeks, tasks = worklog.local_counts(conn)
    finally:
        profile.close()
    report = result.report
    summary = {**report.as_dict(), "received": result.received, "invalid": result.invalid,
               "profile": {"weeks": weeks, "tasks": tasks}}
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    print(f"read from the server: {result.received.get('weeks', 0):,} weeks, {result.received.get('tasks', 0):,} "
          f"tasks; created {report.created:,}, updated {report.updated:,}, deleted {report.deleted:,}, "
          f"unchanged {report.unchanged:,}, kept this device's newer version {report.kept_local:,}")
    print(f"this profile now has {weeks:,} weeks and {tasks:,} tasks")
    for title, lines in (("conflicts", report.conflicts), ("records skipped as invalid", result.invalid)):
        if lines:
            print(f"{title} ({len(lines)}):")
            for line in lines:  # names and labels come from other devices: no control characters reach the terminal
                print("  " + "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line))
    return 0
