"""User and team management, shared by the CLI and the admin pages (synchronous psycopg; the web
runs it in a thread). Creating a user yields a one-time set-password token, never a password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ingestion.accounts.passwords import hash_password, new_token, token_hash
from ingestion.config import Settings

ROLES = ("admin", "manager", "employee")
TOKEN_HOURS = 72
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class CreatedUser:
    """A new account and the one-time token of its set-password link (shown once, stored hashed)."""

    user_id: int
    email: str
    role: str
    token: str


def open_sync(settings: Settings) -> psycopg.Connection[Any]:
    """A short-lived connection for the admin functions; behind a transaction pooler it prepares
    nothing and sets nothing (the role carries ``search_path``, see ``ingestion.pooling``)."""
    conn = psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5,
                           prepare_threshold=settings.prepare_threshold)
    if settings.db_pool_mode != "transaction":
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.db_schema)))
    return conn


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not 3 <= len(email) <= 254 or not _EMAIL.fullmatch(email):
        raise ValueError(f"not an email address: {email[:80]!r}")
    return email


def clean_team_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100 or any(ord(ch) < 32 for ch in name):
        raise ValueError("team name must be 1-100 printable characters")
    return name


def ensure_team(conn: psycopg.Connection[Any], name: str) -> int:
    """The id of team ``name``, created when it does not exist."""
    name = clean_team_name(name)
    row = conn.execute("SELECT team_id FROM teams WHERE name = %s", (name,)).fetchone()
    if row is None:  # (an upsert would burn an identity value on every existing name)
        row = conn.execute("INSERT INTO teams (name) VALUES (%s) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
                           " RETURNING team_id", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def issue_token(conn: psycopg.Connection[Any], user_id: int) -> str:
    token = new_token()
    conn.execute("INSERT INTO password_tokens (token_hash, user_id, expires_at)"
                 " VALUES (%s, %s, now() + make_interval(hours => %s))", (token_hash(token), user_id, TOKEN_HOURS))
    return token


def create_user(conn: psycopg.Connection[Any], email: str, role: str, emp_id: int | None = None,
                team: str | None = None) -> CreatedUser:
    """Create a user (and the team, and the employee row, when absent); commits."""
    email = normalize_email(email)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "employee" and emp_id is None:
        raise ValueError("an employee needs --emp-id")
    if emp_id is not None and not 1 <= emp_id <= 2_147_483_647:
        raise ValueError("emp_id must be between 1 and 2147483647")
    with conn.transaction():
        if conn.execute("SELECT 1 FROM users WHERE email = %s", (email,)).fetchone():
            raise ValueError(f"a user with email {email} already exists")
        team_id = ensure_team(conn, team) if team is not None else None
        if emp_id is not None:
            if conn.execute("SELECT 1 FROM users WHERE emp_id = %s", (emp_id,)).fetchone():
                raise ValueError(f"employee {emp_id} already has an account")
            conn.execute("INSERT INTO employees (emp_id) VALUES (%s) ON CONFLICT DO NOTHING", (emp_id,))
            if team_id is not None and role == "employee":
                conn.execute("UPDATE employees SET team_id = %s WHERE emp_id = %s", (team_id, emp_id))
        row = conn.execute("INSERT INTO users (email, role, emp_id) VALUES (%s, %s, %s) RETURNING user_id",
                           (email, role, emp_id)).fetchone()
        assert row is not None
        user_id = int(row[0])
        if role == "manager" and team_id is not None:
            conn.execute("INSERT INTO team_managers (user_id, team_id) VALUES (%s, %s)", (user_id, team_id))
        token = issue_token(conn, user_id)
    return CreatedUser(user_id, email, role, token)


def password_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/set-password?token={token}"


def user_id_for(conn: psycopg.Connection[Any], email: str) -> int | None:
    row = conn.execute("SELECT user_id FROM users WHERE email = %s", (normalize_email(email),)).fetchone()
    return None if row is None else int(row[0])


def set_password(conn: psycopg.Connection[Any], user_id: int, password: str) -> None:
    """New password; every open session of the user ends (a changed password locks others out)."""
    hashed = hash_password(password)
    with conn.transaction():
        conn.execute("UPDATE users SET password_hash = %s WHERE user_id = %s", (hashed, user_id))
        conn.execute("UPDATE web_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
                     (user_id,))
        conn.execute("DELETE FROM login_throttle WHERE subject = 'account:' ||"
                     " (SELECT email FROM users WHERE user_id = %s)", (user_id,))


def redeem_token(conn: psycopg.Connection[Any], token: str, password: str) -> str:
    """Set the password of the token's user once; returns the email. ValueError when unusable."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE password_tokens SET used_at = now() WHERE token_hash = %s AND used_at IS NULL"
            " AND expires_at > now() RETURNING user_id", (token_hash(token),)).fetchone()
        if row is None:
            raise ValueError("this link is invalid, expired or already used; ask an admin for a new one")
        set_password(conn, int(row[0]), password)
        email = conn.execute("SELECT email FROM users WHERE user_id = %s", (row[0],)).fetchone()
    assert email is not None
    return str(email[0])


def token_is_valid(conn: psycopg.Connection[Any], token: str) -> bool:
    return conn.execute("SELECT 1 FROM password_tokens WHERE token_hash = %s AND used_at IS NULL"
                        " AND expires_at > now()", (token_hash(token),)).fetchone() is not None


def disable_user(conn: psycopg.Connection[Any], email: str) -> bool:
    """Disable the account and end its sessions; False when the email is unknown."""
    with conn.transaction():
        row = conn.execute("UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE email = %s"
                           " RETURNING user_id", (normalize_email(email),)).fetchone()
        if row is None:
            return False
        conn.execute("UPDATE web_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
                     (row[0],))
    return True


def list_users(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT u.email, u.role, u.emp_id, coalesce(string_agg(DISTINCT t.name, ',' ORDER BY t.name),"
        " (SELECT t2.name FROM employees e JOIN teams t2 ON t2.team_id = e.team_id WHERE e.emp_id = u.emp_id)),"
        " u.password_hash IS NOT NULL, u.disabled_at, u.created_at"
        " FROM users u LEFT JOIN team_managers m ON m.user_id = u.user_id LEFT JOIN teams t ON t.team_id = m.team_id"
        " GROUP BY u.user_id ORDER BY u.email").fetchall()
    names = ("email", "role", "emp_id", "teams", "password_set", "disabled_at", "created_at")
    return [dict(zip(names, row, strict=True)) for row in rows]


def list_teams(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT t.team_id, t.name, t.blur_screenshots, (SELECT count(*) FROM employees e WHERE e.team_id = t.team_id)"
        " FROM teams t ORDER BY t.name").fetchall()
    return [dict(zip(("team_id", "name", "blur_screenshots", "employees"), r, strict=True)) for r in rows]


def set_team_blur(conn: psycopg.Connection[Any], team_id: int, blur: bool) -> None:
    conn.execute("UPDATE teams SET blur_screenshots = %s WHERE team_id = %s", (blur, team_id))
