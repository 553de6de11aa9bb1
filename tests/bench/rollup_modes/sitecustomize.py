"""Benchmark-only: on the ``PYTHONPATH`` of ``wfh-ingest serve`` (and so of each of its workers), with
``WFH_BENCH_ROLLUP_MODE=none`` stores heartbeat batches without the reports' rollup (see
``ingestion.ingest.stream_sql``), so ``tests/bench/bench_rollup_modes.py`` can compare the server with
and without it, without a server setting that production would never want."""

import os

if os.environ.get("WFH_BENCH_ROLLUP_MODE") == "none":
    import ingestion.ingest as _ingest

    _ingest._SQL["heartbeats"] = _ingest.stream_sql(_ingest.STREAMS["heartbeats"], rollups_on=False)
