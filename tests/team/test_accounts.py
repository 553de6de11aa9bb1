"""People accounts: one message for every wrong login, throttling, sessions (fixation, idle timeout,
revocation), CSRF on every state-changing form, and the CLI user commands."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from ingestion.accounts.sessions import COOKIE, MAX_FAILURES
from tests.support.pg import connect
from tests.team.conftest import ADMIN, EMPLOYEE_A, MANAGER, PASSWORD, People


def test_unknown_email_and_wrong_password_get_the_same_answer(people: People,
                                                              app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    unknown = people.login_as(client, "nobody@example.com", PASSWORD)
    wrong = people.login_as(client, MANAGER, "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong email or password." in unknown.text and "Wrong email or password." in wrong.text
    assert COOKIE not in client.cookies
    assert people.login_as(client, MANAGER).status_code == 303


def test_ten_failures_lock_the_account_even_for_the_right_password(people: People,
                                                                   app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for _ in range(MAX_FAILURES):
        assert people.login_as(client, MANAGER, "guess").status_code == 401
    locked = people.login_as(client, MANAGER)  # the right password, refused meanwhile
    assert locked.status_code == 429 and "locked" in locked.text
    assert COOKIE not in client.cookies
    other_address = app_client()  # the same account from anywhere else is locked too
    assert people.login_as(other_address, MANAGER).status_code == 429
    with connect(people.url) as conn:  # at least a minute
        row = conn.execute("SELECT locked_until - now() > interval '55 seconds' FROM login_throttle"
                           " WHERE subject = %s", (f"account:{MANAGER}",)).fetchone()
        assert row == (True,)
        conn.execute("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
    assert people.login_as(client, MANAGER).status_code == 303


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(people: People,
                                                                      app_client: Callable[[], TestClient]) -> None:
    """Each attempt counts before its password is checked: 30 guesses at once are 10 checks and 20 refusals
    (counting after the check let 19 of them through)."""
    client = app_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token

    def guess(n: int) -> int:
        form = {"email": MANAGER, "password": f"guess {n}", "csrf_token": token.group(1)}
        return client.post("/login", data=form, follow_redirects=False).status_code

    with ThreadPoolExecutor(30) as pool:
        answers = Counter(pool.map(guess, range(30)))
    assert answers == {401: MAX_FAILURES, 429: 30 - MAX_FAILURES}
    assert people.login_as(app_client(), MANAGER).status_code == 429  # locked, from anywhere


def test_a_right_login_does_not_count_against_its_address(people: People,
                                                          app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for n in range(MAX_FAILURES - 1):
        assert people.login_as(client, f"typo{n}@example.com", "guess").status_code == 401
    for _ in range(3):
        assert people.login_as(client, EMPLOYEE_A).status_code == 303
    assert people.login_as(client, "typo@example.com", "guess").status_code == 401  # the 10th failure
    assert people.login_as(client, ADMIN).status_code == 429


def test_a_forged_non_ascii_csrf_token_is_refused_not_an_error(people: People,
                                                               app_client: Callable[[], TestClient]) -> None:
    anonymous = app_client()
    anonymous.get("/login")
    form = {"email": MANAGER, "password": PASSWORD, "csrf_token": "é"}
    assert anonymous.post("/login", data=form, follow_redirects=False).status_code == 403
    client = app_client()
    assert people.login_as(client, EMPLOYEE_A).status_code == 303
    assert client.post("/logout", data={"csrf_token": "\u00e9\U0001f600"}).status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": "é".encode("latin-1")}).status_code == 403  # type: ignore[dict-item]
    assert client.get("/me").status_code == 200


def test_the_address_is_throttled_across_accounts(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for n in range(MAX_FAILURES):
        assert people.login_as(client, f"spray{n}@example.com", "guess").status_code == 401
    assert people.login_as(client, ADMIN).status_code == 429


def test_login_makes_a_new_session_and_logout_is_a_post_with_csrf(people: People,
                                                                   app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    first = people.login_as(client, EMPLOYEE_A)  # a session the "attacker" knows
    planted = first.cookies[COOKIE]
    response = people.login_as(client, EMPLOYEE_A)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    session = client.cookies[COOKIE]
    assert session != planted and len(session) >= 40
    spy = app_client()
    spy.cookies.set(COOKIE, planted)
    assert spy.get("/me", follow_redirects=False).status_code == 303  # the earlier id was revoked at login
    assert client.get("/me").status_code == 200
    assert client.get("/logout").status_code == 405
    page = client.get("/me").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    refused = client.post("/logout", data={})
    assert refused.status_code == 403 and client.get("/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False).status_code == 303
    spy.cookies.set(COOKIE, session)  # the logged-out id no longer works anywhere
    assert spy.get("/me", follow_redirects=False).status_code == 303


def test_session_cookie_is_secure_behind_tls(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    client.base_url = client.base_url.copy_with(scheme="https")  # type: ignore[assignment]
    response = people.login_as(client, EMPLOYEE_A)
    assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]


def test_login_form_requires_its_csrf_token(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    client.get("/login")
    response = client.post("/login", data={"email": MANAGER, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and COOKIE not in client.cookies


def test_idle_and_absolute_expiry_and_disabling_end_sessions(people: People,
                                                             app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, EMPLOYEE_A)
    assert client.get("/me").status_code == 200
    with connect(people.url) as conn:
        conn.execute("UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes'")
    assert client.get("/me", follow_redirects=False).status_code == 303
    people.login_as(client, EMPLOYEE_A)
    with connect(people.url) as conn:
        conn.execute("UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL")
    assert client.get("/me", follow_redirects=False).status_code == 303
    people.login_as(client, EMPLOYEE_A)
    assert client.get("/api/v1/reports/employees/501/days?from=2026-01-01&to=2026-01-02").status_code == 200
    with connect(people.url) as conn:
        from ingestion.accounts.users import disable_user

        assert disable_user(conn, EMPLOYEE_A)
    assert client.get("/api/v1/reports/employees/501/days?from=2026-01-01&to=2026-01-02").status_code == 401
    assert people.login_as(client, EMPLOYEE_A).status_code == 401


def test_admin_forms_refuse_a_post_without_the_csrf_token(people: People,
                                                         app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, ADMIN)
    for path, data in [("/admin/users", {"email": "x@example.com", "role": "admin", "emp_id": "", "team": ""}),
                       ("/admin/keys", {"emp_id": "77", "device": "PC"}), ("/admin/teams", {"name": "Zulu"}),
                       ("/admin/users/disable", {"email": MANAGER}), ("/admin/keys/revoke", {"prefix": "abcdefgh"})]:
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        wrong = client.post(path, data={**data, "csrf_token": "not-the-token"})
        assert wrong.status_code == 403, path
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = 'x@example.com'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM teams WHERE name = 'Zulu'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL").fetchone() == (0,)


def test_nul_in_an_email_or_a_header_is_a_wrong_login_or_a_422_never_a_500(
        people: People, app_client: Callable[[], TestClient]) -> None:
    """PostgreSQL text refuses U+0000: it must never reach a statement from a form field or a header."""
    client = app_client()
    for email in ("alice\x00@example.com", "\x00", "a\x00b"):
        answer = people.login_as(client, email, "guess")
        assert answer.status_code == 401 and "Wrong email or password." in answer.text
    client.headers["User-Agent"] = "agent\x00 1.0"
    assert people.login_as(client, EMPLOYEE_A).status_code == 303
    admin = app_client()
    people.login_as(admin, ADMIN)
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/users").text)
    assert token
    for path, data in [("/admin/users", {"email": "x\x00@y.z", "role": "employee", "emp_id": "", "team": ""}),
                       ("/admin/users/disable", {"email": "a\x00@b.c"}), ("/admin/users/link", {"email": "a\x00@b.c"}),
                       ("/admin/keys/revoke", {"prefix": "ab\x00"}), ("/admin/teams", {"name": "Zu\x00lu"})]:
        answer = admin.post(path, data={**data, "csrf_token": token.group(1)})
        assert answer.status_code == 422, (path, answer.status_code, answer.text[:200])
    with connect(people.url) as conn:
        assert conn.execute("SELECT user_agent FROM web_sessions WHERE user_agent LIKE 'agent%'").fetchone() == (
            "agent 1.0",)


def test_admin_creates_a_user_whose_link_sets_the_password_once(people: People,
                                                                app_client: Callable[[], TestClient]) -> None:
    admin = app_client()
    people.login_as(admin, ADMIN)
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/users").text)
    assert token
    page = admin.post("/admin/users", data={"email": "New@Example.com", "role": "employee", "emp_id": "777",
                                            "team": "Charlie", "csrf_token": token.group(1)})
    assert page.status_code == 200, page.text
    link = re.search(r'id="set-password-link">http://testserver(/set-password\?token=[^<]+)<', page.text)
    assert link
    newcomer = app_client()
    form = newcomer.get(link.group(1))
    assert form.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    target = link.group(1).split("=", 1)[1]
    short = newcomer.post("/set-password", data={"token": target, "password": "short", "password_again": "short",
                                                 "csrf_token": csrf.group(1)})
    assert short.status_code == 422 and "at least 10" in short.text
    done = newcomer.post("/set-password", data={"token": target, "password": "a fine new password",
                                                "password_again": "a fine new password", "csrf_token": csrf.group(1)},
                         follow_redirects=False)
    assert done.status_code == 303
    assert people.login_as(newcomer, "new@example.com", "a fine new password").status_code == 303
    assert newcomer.get(link.group(1)).status_code == 410  # used once


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"WFH_INGEST_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "WFH_INGEST_PUBLIC_URL": "https://wfh.example"}
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


def test_cli_user_commands(people: People, app_client: Callable[[], TestClient]) -> None:
    created = _cli(people.url, "create-user", "--email", "lead@example.com", "--role", "manager", "--team", "Delta")
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"https://wfh\.example/set-password\?token=[A-Za-z0-9_-]{40,}\n", created.stdout)
    with connect(people.url) as conn:
        assert conn.execute("SELECT t.name FROM team_managers m JOIN teams t USING (team_id) JOIN users u"
                            " USING (user_id) WHERE u.email = 'lead@example.com'").fetchall() == [("Delta",)]
    assert _cli(people.url, "create-user", "--email", "lead@example.com", "--role", "admin").returncode == 1
    assert _cli(people.url, "create-user", "--email", "e@example.com", "--role", "employee").returncode == 1
    setpw = _cli(people.url, "set-password", "--email", "lead@example.com", stdin="a long new password\n")
    assert setpw.returncode == 0, setpw.stderr
    assert _cli(people.url, "set-password", "--email", "lead@example.com", stdin="short\n").returncode == 1
    ghost = _cli(people.url, "set-password", "--email", "ghost@example.com", stdin="a long new password\n")
    assert ghost.returncode == 1
    client = app_client()
    assert people.login_as(client, "lead@example.com", "a long new password").status_code == 303
    listing = _cli(people.url, "list-users")
    assert listing.returncode == 0 and "lead@example.com\tmanager\t-\tDelta\tTrue\t-" in listing.stdout
    assert _cli(people.url, "disable-user", "--email", "lead@example.com").returncode == 0
    assert client.get("/me", follow_redirects=False).status_code == 303
    assert _cli(people.url, "disable-user", "--email", "ghost@example.com").returncode == 1
