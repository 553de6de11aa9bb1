"""``wfh-agent db-info [--json]``: schema version, row counts, file size and integrity."""

from __future__ import annotations

import argparse
import json
import sqlite3
from typing import Any

from app.profile import Profile


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db-info", help="show the local database's schema, size and integrity")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def collect(profile: Profile) -> dict[str, Any]:
    conn = profile.db.get()
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )]
    tables = {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    problems = [str(r[0]) for r in rows]
    return {
        "schema_version": int(conn.execute("PRAGMA user_version").fetchone()[0]),
        "tables": tables,
        "file_size": profile.paths.db_path.stat().st_size,
        "integrity": "ok" if problems == ["ok"] else problems,
        "path": str(profile.paths.db_path),
    }


def run(args: argparse.Namespace) -> int:
    profile = Profile.open(args.data_dir)
    try:
        info = collect(profile)
    except sqlite3.DatabaseError as exc:
        from app.storage.db import translate_error

        raise translate_error(exc, profile.paths.db_path) from exc
    finally:
        profile.close()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"database:       {info['path']}")
        print(f"schema version: {info['schema_version']}")
        print(f"file size:      {info['file_size']:,} bytes")
        integrity = info["integrity"]
        print(f"integrity:      {integrity if integrity == 'ok' else '; '.join(integrity)}")
        for name, count in info["tables"].items():
            print(f"  {name:<24} {count:>10,}")
    return 0 if info["integrity"] == "ok" else 1
