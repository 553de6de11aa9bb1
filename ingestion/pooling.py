"""Checks for running behind PgBouncer in transaction mode (``WFH_INGEST_DB_POOL_MODE=transaction``).

A transaction pooler hands each transaction to whichever server connection is free, so nothing may
rely on session state: the server then sets nothing per connection and expects the role (or the
database) to carry ``search_path``, ``statement_timeout`` and, for the read pool, read-only
transactions. ``serve`` runs :func:`role_problems` at start and refuses to run with any of them
missing, since a wrong ``search_path`` would fail every request and a missing timeout would let a
stuck statement hold a server connection forever.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ingestion.config import Settings

_CHECK = """
SELECT current_user, current_schema(),
       (SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'),
       current_setting('default_transaction_read_only') = 'on', pg_is_in_recovery()
"""


def role_problems(conn: psycopg.Connection[Any], settings: Settings, read_only: bool) -> list[str]:
    """What is missing on the role of ``conn`` for transaction pooling, each with the statement to fix it."""
    row = conn.execute(_CHECK).fetchone()
    assert row is not None
    user, schema, timeout_ms, tx_read_only, in_recovery = row
    role = f'"{user}"'
    problems = []
    if schema != settings.db_schema:
        problems.append(f"search_path of role {user} does not start with {settings.db_schema}"
                        f" (current schema {schema!r}): ALTER ROLE {role} SET search_path = {settings.db_schema};")
    if int(timeout_ms or 0) != settings.statement_timeout_ms:
        problems.append(f"statement_timeout of role {user} is {timeout_ms} ms, not {settings.statement_timeout_ms}:"
                        f" ALTER ROLE {role} SET statement_timeout = '{settings.statement_timeout_ms}ms';")
    if read_only and not (tx_read_only or in_recovery):
        problems.append(f"the read pool's role {user} may write: use a read-only role,"
                        f" ALTER ROLE {role} SET default_transaction_read_only = on;")
    if not read_only and (tx_read_only or in_recovery):
        problems.append(f"WFH_INGEST_DATABASE_URL (role {user}) is read-only: it must point at the primary")
    return problems


def check_pool_roles(settings: Settings) -> list[str]:
    """:func:`role_problems` for the primary and, when configured, the read replica; an unreachable
    database is skipped (``serve`` starts anyway and answers 503 until it returns)."""
    if settings.db_pool_mode != "transaction":
        return []
    problems: list[str] = []
    targets = [(settings.database_url, False, "WFH_INGEST_DATABASE_URL")]
    if settings.read_database_url:
        targets.append((settings.read_database_url, True, "WFH_INGEST_READ_DATABASE_URL"))
    for url, read_only, name in targets:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5, prepare_threshold=None) as conn:
                problems += [f"{name}: {p}" for p in role_problems(conn, settings, read_only)]
        except psycopg.OperationalError:
            continue
    return problems
