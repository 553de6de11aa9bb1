"""``wfh-ingest`` user commands: create-user, set-password, disable-user, list-users.

Exit codes like the key commands: 0 success, 1 usage error or unknown email.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ingestion.accounts import users
from ingestion.accounts.passwords import PasswordError
from ingestion.config import Settings


def public_url(settings: Settings) -> str:
    """Where people reach the dashboard: WFH_INGEST_PUBLIC_URL, else the address ``serve`` listens on."""
    return os.environ.get("WFH_INGEST_PUBLIC_URL", "").strip() or f"http://{settings.host}:{settings.port}"


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with users.open_sync(settings) as conn:
            created = users.create_user(conn, args.email, args.role, args.emp_id, args.team)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(users.password_link(public_url(settings), created.token))
    print(f"created {created.role} {created.email}; the link above sets the password, once, within"
          f" {users.TOKEN_HOURS} hours", file=sys.stderr)
    return 0


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise PasswordError("the two passwords differ")
    return first


def cmd_set_password(settings: Settings, args: argparse.Namespace) -> int:
    with users.open_sync(settings) as conn:
        try:
            user_id = users.user_id_for(conn, args.email)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if user_id is None:
            print(f"error: no user with email {args.email!r}", file=sys.stderr)
            return 1
        try:
            users.set_password(conn, user_id, _read_password())
        except PasswordError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"password set for {args.email}; their open sessions were ended", file=sys.stderr)
    return 0


def cmd_disable_user(settings: Settings, args: argparse.Namespace) -> int:
    with users.open_sync(settings) as conn:
        try:
            found = users.disable_user(conn, args.email)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if not found:
        print(f"error: no user with email {args.email!r}", file=sys.stderr)
        return 1
    print(f"disabled {args.email}; their sessions were ended", file=sys.stderr)
    return 0


def cmd_list_users(settings: Settings, args: argparse.Namespace) -> int:
    with users.open_sync(settings) as conn:
        rows = users.list_users(conn)
    names = ("email", "role", "emp_id", "teams", "password_set", "disabled_at", "created_at")
    print("\t".join(names))
    for row in rows:
        print("\t".join("-" if row[n] is None else str(row[n]) for n in names))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = sub.add_parser("create-user", help="create a dashboard user; prints a one-time set-password link")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=users.ROLES)
    create.add_argument("--emp-id", type=int)
    create.add_argument("--team", help="team (created when absent): the employee's team, or the team a manager runs")
    create.set_defaults(func=cmd_create_user)
    setpw = sub.add_parser("set-password", help="set a user's password (one line from stdin when not a terminal)")
    setpw.add_argument("--email", required=True)
    setpw.set_defaults(func=cmd_set_password)
    disable = sub.add_parser("disable-user", help="disable a user and end their sessions")
    disable.add_argument("--email", required=True)
    disable.set_defaults(func=cmd_disable_user)
    sub.add_parser("list-users", help="list dashboard users").set_defaults(func=cmd_list_users)
