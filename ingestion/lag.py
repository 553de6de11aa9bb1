"""The read replica's state as measured by ``ingestion.replica``, and its Prometheus lines.

The lines are rendered per scrape rather than kept in prometheus_client gauges: the measurement is
taken by whichever worker answers the scrape, so multiprocess aggregation would only mix stale values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaStatus:
    """One lag measurement: ``up`` whether the replica answered; lag fields None when it did not."""

    up: bool
    in_recovery: bool | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str = ""


@dataclass
class ReplicaCache:
    """The last :class:`ReplicaStatus` of this worker and when it was taken."""

    status: ReplicaStatus | None = None
    checked_at: float = float("-inf")


def lsn_bytes(lsn: str) -> int:
    """``'16/B374D848'`` as a byte position."""
    high, _, low = lsn.partition("/")
    if not low:
        raise ValueError(f"not a WAL position: {lsn!r}")
    return (int(high, 16) << 32) | int(low, 16)


def metrics_text(status: ReplicaStatus | None) -> bytes:
    """Prometheus exposition lines for the replica (empty without one); lag lines only while it answers."""
    if status is None:
        return b""
    lines = ["# HELP wfh_ingest_read_replica_up Whether the read replica answered (0: reads use the primary)",
             "# TYPE wfh_ingest_read_replica_up gauge", f"wfh_ingest_read_replica_up {int(status.up)}"]
    if status.lag_bytes is not None:
        lines += ["# HELP wfh_ingest_read_replica_lag_bytes WAL bytes the replica has not replayed yet",
                  "# TYPE wfh_ingest_read_replica_lag_bytes gauge",
                  f"wfh_ingest_read_replica_lag_bytes {status.lag_bytes}"]
    if status.lag_seconds is not None:
        lines += ["# HELP wfh_ingest_read_replica_lag_seconds Age of the last replayed transaction, WAL pending",
                  "# TYPE wfh_ingest_read_replica_lag_seconds gauge",
                  f"wfh_ingest_read_replica_lag_seconds {status.lag_seconds:.3f}"]
    return ("\n".join(lines) + "\n").encode()
