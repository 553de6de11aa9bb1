"""Login with throttling, sessions in PostgreSQL (idle timeout, absolute lifetime, revocable) and the
CSRF token that belongs to each session.

Only the SHA-256 of the session id is stored. Every login creates a new id (no fixation); logout and
password changes revoke. Throttling counts consecutive failures per account and per client address
in the database, so every worker sees the same counts: after ``MAX_FAILURES`` the subject is locked
for ``LOCK_SECONDS`` and even the right password is refused until then.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ingestion.accounts.passwords import new_token, token_hash, verify_password
from ingestion.accounts.users import normalize_email
from ingestion.db import AsyncConn
from ingestion.errors import header_text

COOKIE = "wfh_session"
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TOUCH_AFTER = timedelta(seconds=60)
MAX_FAILURES = 10
LOCK_SECONDS = 60
FAILURE_MEMORY = timedelta(minutes=15)  # an address's failures older than this are forgotten


@dataclass(frozen=True)
class Viewer:
    """Who is asking, from the session alone: the only input to every authorization decision."""

    user_id: int
    email: str
    role: str
    emp_id: int | None
    team_ids: tuple[int, ...]
    csrf_token: str


class LoginLocked(Exception):
    """Too many consecutive failures for the account or the address."""


_LOOKUP = """
SELECT u.user_id, u.email, u.role, u.emp_id,
       array(SELECT m.team_id FROM team_managers m WHERE m.user_id = u.user_id ORDER BY m.team_id),
       s.csrf_token, now() - s.last_seen_at > %(touch)s
FROM web_sessions s JOIN users u ON u.user_id = s.user_id
WHERE s.session_hash = %(hash)s AND s.revoked_at IS NULL AND u.disabled_at IS NULL
  AND s.expires_at > now() AND s.last_seen_at > now() - %(idle)s
"""


async def viewer_for(conn: AsyncConn, session_id: str | None) -> Viewer | None:
    """The session's user, or None (unknown, expired, idle too long, revoked, user disabled)."""
    if not session_id or len(session_id) > 128:
        return None
    digest = token_hash(session_id)
    row = await (await conn.execute(_LOOKUP, {"hash": digest, "touch": TOUCH_AFTER, "idle": IDLE})).fetchone()
    if row is None:
        return None
    user_id, email, role, emp_id, teams, csrf, stale = row
    if stale:
        await conn.execute("UPDATE web_sessions SET last_seen_at = now() WHERE session_hash = %s", (digest,))
    return Viewer(user_id, email, role, emp_id, tuple(teams), csrf)


# Each attempt is counted as a failure before its password is checked, in one statement (the row lock
# orders concurrent attempts), so a burst of attempts cannot all pass the check before any failure is
# recorded; a right password takes its count back. A subject already locked is not counted again.
_ATTEMPT = """
INSERT INTO login_throttle AS t (subject, failures) SELECT s, 1 FROM unnest(%(subjects)s::text[]) AS s
ON CONFLICT (subject) DO UPDATE SET
  failures = CASE WHEN t.locked_until > now() THEN t.failures
                  WHEN t.updated_at < now() - %(memory)s THEN 1 ELSE t.failures + 1 END,
  updated_at = now()
RETURNING t.failures, coalesce(t.locked_until > now(), false)
"""
_LOCK = ("UPDATE login_throttle SET locked_until = now() + make_interval(secs => %s), failures = 0"
         " WHERE subject = ANY(%s) AND failures >= %s")


async def _attempt(conn: AsyncConn, subjects: list[str]) -> None:
    """Count one attempt for every subject; LoginLocked when one is locked or this attempt is over the limit."""
    rows = await (await conn.execute(_ATTEMPT, {"subjects": subjects, "memory": FAILURE_MEMORY})).fetchall()
    if any(locked for _, locked in rows):
        raise LoginLocked()
    if any(failures > MAX_FAILURES for failures, _ in rows):
        await _lock(conn, subjects)
        raise LoginLocked()


async def _lock(conn: AsyncConn, subjects: list[str]) -> None:
    """Lock every subject that has reached the limit (and start its count again for after the lock)."""
    await conn.execute(_LOCK, (LOCK_SECONDS, subjects, MAX_FAILURES))


async def login(conn: AsyncConn, email: str, password: str, client_addr: str, user_agent: str | None,
                old_session: str | None) -> str | None:
    """A new session id for the right email and password, None for any wrong pair.

    Raises LoginLocked while the account or the address is locked, or when this attempt is beyond
    the limit (before checking the password).
    """
    try:
        email = normalize_email(email)
    except ValueError:  # no account has it; still counted, as itself (without NUL, which text refuses)
        email = email.strip().lower().replace("\x00", "")[:254]
    subjects = [f"account:{email}", f"address:{client_addr}"]
    await _attempt(conn, subjects)
    row = await (await conn.execute(
        "SELECT user_id, password_hash FROM users WHERE email = %s AND disabled_at IS NULL", (email,))).fetchone()
    stored = row[1] if row else None
    ok = await asyncio.to_thread(verify_password, stored, password)
    if not ok or row is None:
        await _lock(conn, subjects)
        return None
    session_id = new_token()
    async with conn.transaction():
        if old_session:
            await conn.execute("UPDATE web_sessions SET revoked_at = now() WHERE session_hash = %s",
                               (token_hash(old_session),))
        await conn.execute("DELETE FROM login_throttle WHERE subject = %s", (subjects[0],))
        await conn.execute("UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE subject = %s",
                           (subjects[1],))  # this attempt was no failure of the address
        await conn.execute(
            "INSERT INTO web_sessions (session_hash, user_id, csrf_token, expires_at, client_addr, user_agent)"
            " VALUES (%s, %s, %s, now() + %s, %s, %s)",
            (token_hash(session_id), row[0], secrets.token_urlsafe(32), LIFETIME, client_addr,
             header_text(user_agent) or None))
    return session_id


async def logout(conn: AsyncConn, session_id: str | None) -> None:
    if session_id:
        await conn.execute("UPDATE web_sessions SET revoked_at = now() WHERE session_hash = %s AND"
                           " revoked_at IS NULL", (token_hash(session_id),))
