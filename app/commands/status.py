"""``wfh-agent --data-dir DIR status [--json]``: the sync state as the worker last saw it, with live counts."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show the sync state, pending and quarantined records")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def collect(conn: Any) -> dict[str, Any]:
    from app.sync import outbox
    from app.sync.policy import ALL_STREAMS
    from app.sync.status import current_status

    status = current_status(conn)
    return {"state": status.state.value, "reason": status.reason.value, "detail": status.detail,
            "pending": outbox.pending_counts(conn, ALL_STREAMS), "quarantined": outbox.quarantined_counts(conn),
            "last_success": status.last_success}


def run(args: argparse.Namespace) -> int:
    from app.profile import Profile

    profile = Profile.open(args.data_dir)
    try:
        info = collect(profile.db.get())
    finally:
        profile.close()
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print(f"state:        {info['state']}" + (f" ({info['detail']})" if info["detail"] else ""))
        print(f"last success: {info['last_success'] or 'never'}")
        for stream, count in info["pending"].items():
            print(f"  {stream:<14} pending {count:>8,}  quarantined {info['quarantined'].get(stream, 0):>6,}")
    return 0
