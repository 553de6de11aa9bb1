"""Two `wfh-ingest serve` hosts behind a real HAProxy running deploy/haproxy.cfg: ``kill -9`` of one
host under load loses no acknowledged record, stores none twice, shows clients only retryable
answers, and the survivor takes the load."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fleet.load import Fleet, stored_once
from tests.support.fleet import HAPROXY, HAProxy
from tests.support.pg import connect, throwaway_database
from tests.support.server import ServerProcess, create_key, start_server

pytestmark = pytest.mark.skipif(shutil.which(HAPROXY) is None, reason="haproxy is not installed")


@pytest.fixture
def fleet_db() -> Iterator[str]:
    with throwaway_database("wfh_fleet") as url:
        yield url


@pytest.fixture
def hosts(fleet_db: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started = [start_server(fleet_db, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                            WFH_INGEST_RATE_BURST="100000") for _ in range(2)]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def balancer(hosts: list[ServerProcess]) -> Iterator[HAProxy]:
    proxy = HAProxy([int(h.url.rsplit(":", 1)[1]) for h in hosts]).start()
    yield proxy
    proxy.stop()


def test_balancer_answers_with_the_contracts_headers_and_hides_metrics(balancer: HAProxy) -> None:
    balancer.wait_states({"api1": "UP", "api2": "UP"})
    health = httpx.get(f"{balancer.url}/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert health.headers["x-wfh-api-version"] == "1"
    assert httpx.get(f"{balancer.url}/metrics", timeout=10).status_code == 404


def test_no_host_left_is_the_contracts_json_503(balancer: HAProxy, hosts: list[ServerProcess]) -> None:
    for server in hosts:
        server.process.kill()
        server.process.wait(10)
    balancer.wait_states({"api1": "DOWN", "api2": "DOWN"})
    response = httpx.post(f"{balancer.url}/api/v1/ingest/heartbeats", json={"records": []}, timeout=10)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"] == "unavailable"


def test_kill_9_of_one_host_under_load(fleet_db: str, hosts: list[ServerProcess], balancer: HAProxy) -> None:
    balancer.wait_states({"api1": "UP", "api2": "UP"})
    keys = [create_key(fleet_db, 2000 + n, f"FLEET-{n}") for n in range(4)]
    fleet = Fleet(balancer.url, keys, size=20).start()
    time.sleep(4)
    before = len(fleet.ack_times)
    victim, survivor = hosts
    victim.process.kill()  # SIGKILL: no shutdown, requests in flight are cut
    killed_at = time.monotonic()
    victim.process.wait(10)
    time.sleep(6)
    fleet.stop()

    after = fleet.acked_since(killed_at)
    print(f"answers: {dict(fleet.statuses)}; batches acknowledged before the kill {before}, after it {after}")
    assert not fleet.fatal, fleet.fatal[:5]
    assert before >= 8, f"only {before} batches acknowledged before the kill: {fleet.statuses}"
    assert after >= 20, f"the survivor acknowledged only {after} batches after the kill: {fleet.statuses}"
    assert set(fleet.statuses) <= {"200", "502", "503", "504", "ReadError", "RemoteProtocolError",
                                   "ConnectError", "ReadTimeout"}, fleet.statuses
    with connect(fleet_db) as conn:
        acknowledged, once, twice = stored_once(conn, fleet.acked)
        total = conn.execute("SELECT count(*) FROM heartbeats").fetchone()
    assert acknowledged == once and twice == 0
    assert total is not None and total[0] == acknowledged  # every batch was resent until acknowledged
    balancer.wait_states({"api1": "DOWN", "api2": "UP"})
    # The survivor answered everything after the kill: its own counters hold the batches.
    metrics = httpx.get(f"{survivor.url}/metrics", timeout=10).text
    served = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                 if line.startswith("wfh_ingest_records_total{") and 'stream="heartbeats"' in line
                 and 'outcome="rejected"' not in line)
    assert served >= after * 20
