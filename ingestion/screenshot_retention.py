"""Retention of screenshots (``wfh-ingest prune --screenshots-days N``): the rows captured more than N
days ago, then every file (and cached thumbnail or blurred copy) that no row refers to any more.

Files are content-addressed and shared by every row with the same SHA-256, so a file goes only when
its last row has. An upload of the same content may run at the same time: both sides take the
transaction-scoped advisory lock of the digest (``FILE_LOCK``), the upload around inserting its row
(writing the file again if it is gone), retention around checking that no row is left and deleting
the file, after the rows' deletion has committed. Either the upload's row is committed before the
check (the file stays) or the file is gone before the upload looks (the upload writes it again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from ingestion.storage import remove_file

# pg_advisory_xact_lock(FILE_LOCK_SPACE, hashtext(<sha256 hex>)); the first key keeps these apart from
# the other advisory locks of the server (migrate, rollup compaction).
FILE_LOCK_SPACE = 1464223822
FILE_LOCK = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
ROWS_PER_ROUND = 1_000

_DELETE = ("DELETE FROM screenshots WHERE ctid = ANY(ARRAY(SELECT ctid FROM screenshots"
           " WHERE captured_at < now() - make_interval(days => %s) LIMIT %s)) RETURNING sha256, storage_path")
_REFERENCED = "SELECT 1 FROM screenshots WHERE sha256 = %s LIMIT 1"


def prune_screenshots(conn: psycopg.Connection[Any], root: str, days: int) -> tuple[int, int]:
    """Delete screenshots captured more than ``days`` days ago; return (rows, files) deleted.
    ``conn`` must be in autocommit mode."""
    if days < 1:
        raise ValueError(f"screenshots: retention must be at least 1 day, got {days}")
    rows = files = 0
    while True:
        with conn.transaction():
            gone = conn.execute(_DELETE, (days, ROWS_PER_ROUND)).fetchall()
        rows += len(gone)
        for digest, relative in sorted({(bytes(d), str(p)) for d, p in gone}):
            with conn.transaction():
                conn.execute(FILE_LOCK, (FILE_LOCK_SPACE, digest.hex()))
                if conn.execute(_REFERENCED, (digest,)).fetchone() is None:
                    files += remove_file(Path(root), relative)
        if len(gone) < ROWS_PER_ROUND:
            return rows, files
