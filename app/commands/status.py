"""``wfh-agent --data-dir DIR status [--json]``: the sync state as the worker last saw it, with live counts.

Without a server to upload to, the state is ``local_only`` with the reason (not ``synced``: nothing
was ever uploaded). Times are ISO 8601 with offset.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.commands import iso_time
from app.config import Settings
from app.sync.status import SyncReason, local_only_reason

NO_SERVER = "no server is configured (Settings → Sync, or WFH_AGENT_SERVER_URL): data stays on this computer"
UPLOADS_OFF = "uploads are switched off in the settings (ingestion.enabled): data stays on this computer"
LOCAL_ONLY_TEXT = {SyncReason.UPLOADS_DISABLED: UPLOADS_OFF, SyncReason.NOT_SET_UP: NO_SERVER}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show the sync state, pending and quarantined records")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def collect(conn: Any, settings: Settings) -> dict[str, Any]:
    from app.sync import outbox
    from app.sync.policy import ALL_STREAMS
    from app.sync.status import current_status

    status = current_status(conn)
    state, reason, detail = status.state.value, status.reason.value, status.detail
    local = local_only_reason(settings)
    if local is not None and status.reason is not SyncReason.WORKING_OFFLINE:
        state, reason, detail = "local_only", local.value, LOCAL_ONLY_TEXT[local]
    return {"state": state, "reason": reason, "detail": detail,
            "pending": outbox.pending_counts(conn, ALL_STREAMS), "quarantined": outbox.quarantined_counts(conn),
            "last_success": status.last_success, "retry_at": iso_time(status.retry_at)}


def run(args: argparse.Namespace) -> int:
    from app.profile import Profile

    profile = Profile.open(args.data_dir)
    try:
        info = collect(profile.db.get(), profile.settings)
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
