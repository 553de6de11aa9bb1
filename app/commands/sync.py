"""``wfh-agent --data-dir DIR sync --once [--json]``: one upload pass without the GUI.

It never sleeps through a backoff: the first failure ends the pass with a one-line reason and a
non-zero exit. Exit 0 only when nothing is left pending except quarantined rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands import iso_time

EXIT_PENDING = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sync", help="upload the monitoring outbox to the ingestion server")
    parser.add_argument("--once", action="store_true", required=True, help="one pass, then exit")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from app.profile import Profile
    from app.sync.engine import SyncEngine
    from app.sync.keystore import for_profile

    profile = Profile.open(args.data_dir)
    try:
        engine = SyncEngine(profile.db, profile.settings, profile.paths.data_dir,
                            for_profile(profile.paths, profile.settings))
        result = engine.run_cycle(force_other=True)
    finally:
        profile.close()
    ok = result.state == "synced"
    if args.json:
        print(json.dumps({**result.as_dict(), "retry_at": iso_time(result.retry_at)}, indent=2, sort_keys=True))
    else:
        for stream in sorted(set(result.synced) | set(result.pending) | set(result.quarantined)):
            print(f"{stream:<14} sent {result.synced.get(stream, 0):>7,}  quarantined "
                  f"{result.quarantined.get(stream, 0):>5,}  pending {result.pending.get(stream, 0):>7,}")
    if not ok:
        reason = result.last_error or result.detail or result.state
        print(f"wfh-agent sync: {result.state}: {reason}".replace("\n", " "), file=sys.stderr)
        return EXIT_PENDING
    return 0
