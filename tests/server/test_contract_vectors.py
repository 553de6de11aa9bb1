"""Every vector in tests/contract against the real app and a real PostgreSQL.

Per README "Server tests": fresh tables, key fixtures and rate-limit buckets per file; setup,
request (or repeat), after; status, listed headers and body asserted, plus version header, JSON
body and no 500 on every response. ``client_only`` vectors are skipped with the README's reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import DEVICE, EMP
from tests.server.vectors import (
    PLACEHOLDER_KEYS,
    base_time,
    build_body_note,
    check_response,
    client_only_reason,
    load_vectors,
    send,
    substitute_prefixes,
    substitute_time,
)
from tests.support.pg import connect
from tests.support.server import create_key

VECTORS = load_vectors()
DEVICE_2 = "TEST-LAPTOP-2"
UNREACHABLE_URL = "postgresql://wfh@127.0.0.1:1/wfh"


def _key_fixtures(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Real keys for the placeholders: valid, revoked (revoke-key path), expired, second device."""
    from ingestion.keys import revoke_key

    real = {placeholder: create_key(url, EMP, DEVICE_2 if prefix == "TESTDEV2" else DEVICE)
            for placeholder, prefix in PLACEHOLDER_KEYS.items()}  # TESTDEV2 last: the higher device_id
    prefixes = {PLACEHOLDER_KEYS[p]: key[4:12] for p, key in real.items()}
    with connect(url) as conn:
        assert revoke_key(conn, prefixes["TESTREVK"])
        conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE prefix = %s",
                     (prefixes["TESTEXPD"],))
    return real, prefixes


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict[str, Any], clean_db: str, client_for: Callable[..., TestClient]) -> None:
    if vector.get("client_only"):
        pytest.skip(f"client_only vector: {client_only_reason()}")
    base = base_time()
    if vector.get("precondition") == "database_unavailable":
        client = client_for(UNREACHABLE_URL)
        keys: dict[str, str] = {}
        prefixes: dict[str, str] = {}
    else:
        assert "precondition" not in vector, f"unknown precondition {vector['precondition']}"
        keys, prefixes = _key_fixtures(clean_db)
        client = client_for(clean_db)

    def run(step: dict[str, Any], label: str) -> list[str]:
        request = substitute_time(step["request"], base)
        expected = substitute_prefixes(substitute_time(step["response"], base), prefixes)
        note_body, note_parts = _note_body(vector["name"], request, base)
        response = send(client, request, keys, note_parts or None, note_body)
        return check_response(response, expected, label)

    problems: list[str] = []
    for i, step in enumerate(vector.get("setup", [])):
        problems += run(step, f"setup[{i}]")
    if "repeat" in vector:
        problems += _run_repeat(vector, client, keys, base, prefixes)
    else:
        problems += run(vector, "request")
    for i, step in enumerate(vector.get("after", [])):
        problems += run(step, f"after[{i}]")
    assert not problems, "\n".join(problems)


def _note_body(name: str, request: dict[str, Any], base: Any) -> tuple[bytes | None, dict[str, Any]]:
    """The body of a ``body_note`` vector (none otherwise)."""
    if "body_note" not in request:
        return None, {}
    meta_source = next(v for v in VECTORS if v["name"] == "screenshots_new")
    return build_body_note(name, substitute_time(meta_source, base))


def _run_repeat(vector: dict[str, Any], client: TestClient, keys: dict[str, str], base: Any,
                prefixes: dict[str, str]) -> list[str]:
    """The rate-limit rule: first ``first_ok`` are 2xx, the rest 2xx or the expected response,
    at least one matches; inconclusive (skipped) if slower than ``max_seconds``."""
    repeat = vector["repeat"]
    request = substitute_time(vector["request"], base)
    expected = substitute_prefixes(substitute_time(vector["response"], base), prefixes)
    note_body, note_parts = _note_body(vector["name"], request, base)
    started = time.monotonic()
    responses = [send(client, request, keys, note_parts or None, note_body) for _ in range(repeat["count"])]
    if time.monotonic() - started > repeat["max_seconds"]:
        pytest.skip(f"inconclusive: {repeat['count']} requests took longer than {repeat['max_seconds']} s")
    problems = [f"request {i}: {r.status_code}" for i, r in enumerate(responses[: repeat["first_ok"]])
                if not 200 <= r.status_code < 300]
    matched = 0
    for i, response in enumerate(responses[repeat["first_ok"]:], start=repeat["first_ok"]):
        if 200 <= response.status_code < 300:
            continue
        found = check_response(response, expected, f"request {i}")
        problems += found
        matched += not found
    if matched == 0:
        problems.append("no response matched the expected 429")
    return problems
