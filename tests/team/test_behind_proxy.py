"""Behind a proxy on another host (docs/SCALING.md: HAProxy in front of the API hosts), the server believes
the proxy's X-Forwarded-For and -Proto once WFH_INGEST_FORWARDED_ALLOW_IPS names it: each client keeps its
own login throttle and TLS clients get a Secure cookie. (Trusting 127.0.0.1 only, every client had the
proxy's address: ten failed logins from anyone locked out everyone.)"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from ingestion.accounts.sessions import MAX_FAILURES
from ingestion.config import ConfigError, Settings
from tests.support.server import start_server
from tests.team.conftest import ADMIN, PASSWORD, People

PROXY = "127.0.0.2"  # another address of this host's loopback network stands for the proxy's host


def _login(proxy: httpx.Client, client_addr: str, email: str, password: str) -> httpx.Response:
    forwarded = {"X-Forwarded-For": client_addr, "X-Forwarded-Proto": "https"}
    page = proxy.get("/login", headers=forwarded)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    # The proxy's client speaks TLS: the login form's cookie is Secure, which httpx keeps from plain http.
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    proxy.cookies.clear()
    return proxy.post("/login", headers={**forwarded, "Cookie": cookie},
                      data={"email": email, "password": password, "csrf_token": token.group(1)})


@pytest.mark.parametrize("trusted", [True, False], ids=["proxy named", "default"])
def test_clients_behind_a_named_proxy_keep_their_own_address(people: People, tmp_path: Path, trusted: bool) -> None:
    env = {"WFH_INGEST_FORWARDED_ALLOW_IPS": f"127.0.0.1, {PROXY}"} if trusted else {}
    server = start_server(people.url, tmp_path / "shots", WFH_INGEST_LOG_LEVEL="info", **env)
    try:
        transport = httpx.HTTPTransport(local_address=PROXY)
        with httpx.Client(base_url=server.url, transport=transport, timeout=30) as proxy:
            for n in range(MAX_FAILURES):
                assert _login(proxy, "203.0.113.9", f"nobody{n}@example.com", "guess").status_code == 401
            answer = _login(proxy, "198.51.100.7", ADMIN, PASSWORD)
    finally:
        server.stop()
    if trusted:
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]  # X-Forwarded-Proto: https from the proxy
    else:
        assert answer.status_code == 429  # the proxy's one address took the failures of everyone behind it


@pytest.mark.parametrize("value", ["*", "10.0.0.1/8", "proxy.example", "127.0.0.1, 300.1.1.1"])
def test_a_forwarded_allow_list_that_is_no_list_of_addresses_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="WFH_INGEST_FORWARDED_ALLOW_IPS"):
        Settings.from_env({"WFH_INGEST_DATABASE_URL": "postgresql://x", "WFH_INGEST_FORWARDED_ALLOW_IPS": value})


def test_the_forwarded_allow_list_takes_addresses_and_networks() -> None:
    settings = Settings.from_env({"WFH_INGEST_DATABASE_URL": "postgresql://x",
                                  "WFH_INGEST_FORWARDED_ALLOW_IPS": " 10.0.0.0/8 ,127.0.0.1,::1"})
    assert settings.forwarded_allow_ips == "10.0.0.0/8,127.0.0.1,::1"
    assert Settings.from_env({"WFH_INGEST_DATABASE_URL": "postgresql://x"}).forwarded_allow_ips == "127.0.0.1"
