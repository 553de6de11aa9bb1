"""``wfh-agent --data-dir DIR status [--json]``: the sync state as the worker last saw it, with live counts.

Without a server to upload to, the state is ``local_only`` with the reason (not ``synced``: nothing
was ever uploaded). Times are ISO 8601 with offset.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.commands import iso_time

NO_SERVER = "no server is configured (Settings → Sync, or WFH_AGENT_SERVER_URL): data stays on this computer"
UPLOADS_OFF = "uploads are switched off in the settings (ingestion.enabled): data stays on this computer"


def local_only_reason(settings: Any) -> str | None:
    """Why nothing can be uploaded, or None when a destination is configured."""
    if not settings.get("ingestion.enabled", True):
        return UPLOADS_OFF
    if settings.get("ingestion.mode", "api") == "api" and not str(settings.get("ingestion.api.base_url") or "").strip():
        return NO_SERVER
    return None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show the sync state, pending and quarantined records")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def collect(conn: Any, settings: Any) -> dict[str, Any]:
    from app.sync import outbox, state
    from app.sync.engine import NOT_SET_UP
    from app.sync.policy import ALL_STREAMS

    saved = state.load_state(conn)
    pending = outbox.pending_counts(conn, ALL_STREAMS)
    name, detail = saved["state"], saved["detail"]
    local_reason = local_only_reason(settings)
    if state.work_offline(conn):
        name, detail = "offline", "Working offline"
    elif local_reason:
        name, detail = "local_only", local_reason
    elif detail == NOT_SET_UP or name in (None, "synced", "pending", "syncing"):
        name, detail = ("pending" if any(pending.values()) else "synced"), ""
    return {"state": name, "detail": detail, "pending": pending, "quarantined": outbox.quarantined_counts(conn),
            "last_success": state.last_success(conn), "retry_at": iso_time(saved["retry_at"])}


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
