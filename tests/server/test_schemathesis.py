"""Generated requests from /openapi.json against a live uvicorn: no input may produce a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode

from tests.server.conftest import DEVICE, EMP
from tests.support.pg import reset_tables
from tests.support.server import ServerProcess, create_key, start_server

EXAMPLES_PER_MODE = 60  # 12 positive + 10 negative runs (/health and /me have nothing to negate) x 60 = 1,320


@pytest.fixture
def live_server(pg_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    reset_tables(pg_url)
    server = start_server(pg_url, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                          WFH_INGEST_RATE_BURST="100000")
    yield server
    server.stop()


@pytest.mark.timeout(900)  # ~1,300 live requests: 280 s at load 15 on 2 cores, near the default 300 s
def test_generated_requests_never_get_a_server_error(live_server: ServerProcess, pg_url: str) -> None:
    key = create_key(pg_url, EMP, DEVICE)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    session = requests.Session()
    calls = 0
    server_errors: list[str] = []
    statuses: set[int] = set()
    # The people-facing reports (session auth, tests/team) are not part of the device contract.
    operations = [op for op in (result.ok() for result in schema.get_all_operations())
                  if not op.path.startswith("/api/v1/reports/")]
    assert len(operations) == 12, [op.label for op in operations]  # 8 + the worklog's 2 uploads and 2 downloads
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @hypothesis.settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None,
                                 phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                nonlocal calls
                headers = {"X-Api-Key": key} if calls % 10 else {}
                response = case.call(session=session, headers=headers, timeout=30)
                calls += 1
                statuses.add(response.status_code)
                if response.status_code >= 500:
                    server_errors.append(f"{case.method} {case.path}: {response.status_code} {response.text[:200]}")

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # GET /health and GET /me have no parameters or body to make invalid.
                assert mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET"
    assert calls >= 1000, f"only {calls} generated cases ran"
    assert not server_errors, "\n".join(server_errors[:20])
    assert 200 in statuses and 401 in statuses and statuses & {400, 422}, statuses
