"""Benchmark-only: on the ``PYTHONPATH`` of ``wfh-ingest serve`` (and so of each of its workers), runs
heartbeat batches in the rollup mode named by ``WFH_BENCH_ROLLUP_MODE`` (none, inline or queue; see
``ingestion.ingest.stream_sql``), so ``tests/bench/bench_rollup_modes.py`` can compare the three on the
real server without a server setting that production would never want."""

import os

_MODE = os.environ.get("WFH_BENCH_ROLLUP_MODE")
if _MODE:
    import ingestion.ingest as _ingest

    _ingest._SQL["heartbeats"] = _ingest.stream_sql(_ingest.STREAMS["heartbeats"], _MODE)
