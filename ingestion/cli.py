"""``wfh-ingest``: migrate, serve, key management, partition maintenance and retention (INGESTION_API.md §4.5, §11).

Exit codes: 0 success; 1 usage error or unknown prefix; 2 database unreachable, pending migrations
(``serve``) or a changed migration file (``migrate``).
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

try:
    import psycopg
    from psycopg import sql
except ModuleNotFoundError as missing:  # the desktop app's install (pip install -e .) has no server packages
    sys.exit(f"wfh-ingest: the server's packages are not installed ({missing.name} is missing): in a checkout"
             " run pip install -e '.[server]', or install the server alone with pip install ./ingestion")

from ingestion.config import ConfigError, Settings

log = logging.getLogger("ingestion.cli")


def _connect(settings: Settings) -> psycopg.Connection[Any]:
    conn = psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.db_schema)))
    return conn


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.migrate import MigrationError, migrate

    try:
        done = migrate(settings.database_url, settings.db_schema)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"applied {len(done)} migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in done),
          file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.migrate import MigrationError, pending

    try:
        with psycopg.connect(settings.database_url, connect_timeout=5) as conn:
            todo = pending(conn, settings.db_schema)
        if todo:
            print(f"error: {len(todo)} migration(s) pending; run 'wfh-ingest migrate' first", file=sys.stderr)
            return 2
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError:
        print("warning: database unreachable; serving 503 until it returns", file=sys.stderr)
    from ingestion.pooling import check_pool_roles

    problems = check_pool_roles(settings)  # WFH_INGEST_DB_POOL_MODE=transaction: settings live on the role
    if problems:
        print("error: transaction pooling needs these settings on the role:\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 2
    import uvicorn

    workers = args.workers or settings.workers
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers are spawned after this, so they all write their metrics into this directory.
        metrics_dir = tempfile.mkdtemp(prefix="wfh-ingest-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        atexit.register(shutil.rmtree, metrics_dir, True)
    uvicorn.run(
        "ingestion.api:create_app", factory=True,
        host=args.host or settings.host, port=args.port or settings.port, workers=workers,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        # Header/body deadlines and idle-first eviction (ingestion/server.py); the in-flight cap is
        # ContractMiddleware's JSON 503, so uvicorn's plain-text limit_concurrency stays off.
        http="ingestion.server:GuardedHttpToolsProtocol",
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level, access_log=False, timeout_keep_alive=15,
    )
    return 0


def cmd_create_key(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.keys import create_key

    try:
        with _connect(settings) as conn:
            created = create_key(conn, args.emp_id, args.device, args.expires_days)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(created.key)
    print(f"created key prefix={created.prefix} emp_id={created.emp_id} device={created.device!r}"
          f" device_id={created.device_id} expires_at={created.expires_at or '-'}", file=sys.stderr)
    print("the key is shown only once; store it now", file=sys.stderr)
    return 0


def cmd_revoke_key(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.keys import revoke_key

    with _connect(settings) as conn:
        if not revoke_key(conn, args.prefix):
            print(f"error: no key with prefix {args.prefix!r}", file=sys.stderr)
            return 1
    print(f"revoked {args.prefix}", file=sys.stderr)
    return 0


def cmd_list_keys(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.keys import list_keys

    with _connect(settings) as conn:
        rows = list_keys(conn, args.emp_id, args.include_revoked)
    names = ("prefix", "emp_id", "device", "created_at", "last_used_at", "expires_at", "revoked_at")
    print("\t".join(names))
    for row in rows:
        print("\t".join("-" if row[n] is None else str(row[n]) for n in names))
    return 0


def cmd_maintain(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.partitions import PartitionError, maintain

    try:
        with _connect(settings) as conn:
            states = maintain(conn, settings.db_schema)
    except PartitionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for st in states:
        print(f"{st.table}: {st.partitions} partition(s) from {st.first_start} to {st.last_end},"
              f" {st.default_rows} row(s) in the default partition", file=sys.stderr)
        if st.moved_rows:
            print(f"warning: {st.table}: moved {st.moved_rows} row(s) from the default partition into partitions"
                  " of their own (was maintenance stopped?)", file=sys.stderr)
    return 0


def cmd_prune(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.partitions import PartitionError, prune
    from ingestion.screenshot_retention import prune_screenshots

    given = {"ingest_log": args.log_days, "heartbeats": args.heartbeats_days, "timeline": args.timeline_days,
             "screenshots": args.screenshots_days}
    keep = {table: days for table, days in given.items() if days is not None}
    for table, days in keep.items():
        if days < 1:
            print(f"error: {table}: retention must be at least 1 day, got {days}", file=sys.stderr)
            return 1
    shots_days = keep.pop("screenshots", None)
    try:
        with _connect(settings) as conn:
            results = prune(conn, settings.db_schema, keep)
            shots = None if shots_days is None else prune_screenshots(conn, settings.screenshot_dir, shots_days)
    except PartitionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: screenshots: {exc}", file=sys.stderr)
        return 2
    if shots is not None:
        print(f"screenshots: deleted {shots[0]} row(s) and {shots[1]} file(s) no row refers to any more",
              file=sys.stderr)
    for done in results:
        rollup = (f", {done.rollup_rows_deleted} rollup row(s) of the removed time" if done.table == "heartbeats"
                  else "")
        print(f"{done.table}: dropped {done.dropped_partitions} partition(s),"
              f" deleted {done.default_rows_deleted} old row(s) of the default partition{rollup}", file=sys.stderr)
    return 0


def cmd_prune_log(settings: Settings, args: argparse.Namespace) -> int:
    """The former ``prune-log --days N``: now drops whole ingest_log partitions older than N days."""
    args.log_days, args.heartbeats_days, args.timeline_days, args.screenshots_days = args.days, None, None, None
    return cmd_prune(settings, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wfh-ingest", description="WFH Agent ingestion server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=cmd_migrate)
    serve = sub.add_parser("serve", help="run the HTTP server (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(func=cmd_serve)
    create = sub.add_parser("create-key", help="create a device key; prints the key alone on stdout")
    create.add_argument("--emp-id", type=int, required=True)
    create.add_argument("--device", required=True)
    create.add_argument("--expires-days", type=int)
    create.set_defaults(func=cmd_create_key)
    revoke = sub.add_parser("revoke-key", help="revoke a key by its 8-character prefix")
    revoke.add_argument("prefix")
    revoke.set_defaults(func=cmd_revoke_key)
    listing = sub.add_parser("list-keys", help="list keys (never the key itself)")
    listing.add_argument("--emp-id", type=int)
    listing.add_argument("--include-revoked", action="store_true")
    listing.set_defaults(func=cmd_list_keys)
    prune_log = sub.add_parser("prune-log", help="drop ingest_log partitions older than --days (see prune)")
    prune_log.add_argument("--days", type=int, default=90)
    prune_log.set_defaults(func=cmd_prune_log)
    sub.add_parser("maintain", help="premake the coming time partitions (pg_partman)").set_defaults(
        func=cmd_maintain)
    prune = sub.add_parser("prune", help="retention: drop whole time partitions older than N days")
    prune.add_argument("--log-days", type=int, default=90, help="ingest_log (default 90)")
    prune.add_argument("--heartbeats-days", type=int, help="heartbeats (default: keep)")
    prune.add_argument("--timeline-days", type=int, help="timeline (default: keep)")
    prune.add_argument("--screenshots-days", type=int,
                       help="screenshots by capture time, and their files (default: keep)")
    prune.set_defaults(func=cmd_prune)
    from ingestion.accounts.commands import add_commands as add_user_commands
    from ingestion.demo import add_command as add_demo_command

    add_user_commands(sub)
    add_demo_command(sub)
    from ingestion.reports.rule_commands import add_command as add_rules_command

    add_rules_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "demo":  # runs without WFH_INGEST_DATABASE_URL (then on a throwaway cluster)
        demo_result: int = args.func(args)
        return demo_result
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        result: int = args.func(settings, args)
    except psycopg.OperationalError as exc:
        print(f"error: database unreachable: {type(exc).__name__}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
