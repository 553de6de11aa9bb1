"""Prometheus metrics (``/metrics``): requests by route and status, records per stream and outcome,
batch latency. With several uvicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` does) so the
scrape aggregates every worker, not just the one that answered."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

REQUESTS = Counter("wfh_ingest_requests_total", "HTTP requests answered", ["route", "method", "status"])
RECORDS = Counter("wfh_ingest_records_total", "Ingest records by outcome", ["stream", "outcome"])
BATCH_SECONDS = Histogram(
    "wfh_ingest_batch_seconds", "Time to validate and store one ingest batch", ["stream"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
UNSTORABLE = Counter("wfh_ingest_unstorable_records_total",
                     "Valid records PostgreSQL refused (stored record by record, these rejected)", ["stream"])
ROLLUP_COMPACTED = Counter("wfh_ingest_rollup_compacted_total",
                           "Rows of the reports' rollup merged away by compaction (sums unchanged)")


_REQUEST_CHILDREN: dict[tuple[str, str, str], Any] = {}
_RECORD_CHILDREN = {(stream, outcome): RECORDS.labels(stream, outcome)
                    for stream in ("heartbeats", "timeline", "website_usage", "productivity", "wellness",
                                   "weeks", "tasks")
                    for outcome in ("accepted", "duplicate", "rejected")}
_BATCH_CHILDREN = {stream: BATCH_SECONDS.labels(stream) for stream, _ in _RECORD_CHILDREN}


def count_request(route: str, method: str, status: int) -> None:
    key = (route, method, str(status))
    child = _REQUEST_CHILDREN.get(key)
    if child is None:
        child = _REQUEST_CHILDREN[key] = REQUESTS.labels(*key)
    child.inc()


def count_batch(stream: str, accepted: int, duplicates: int, rejected: int, seconds: float) -> None:
    _RECORD_CHILDREN[stream, "accepted"].inc(accepted)
    _RECORD_CHILDREN[stream, "duplicate"].inc(duplicates)
    _RECORD_CHILDREN[stream, "rejected"].inc(rejected)
    _BATCH_CHILDREN[stream].observe(seconds)


def count_unstorable(stream: str, records: int) -> None:
    UNSTORABLE.labels(stream).inc(records)


def render() -> tuple[bytes, str]:
    """The exposition text for this process, or for all workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
