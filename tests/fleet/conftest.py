"""Fleet tests (issue 16): real PgBouncer, HAProxy, PostgreSQL replicas and `wfh-ingest serve` processes."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here needs a real PostgreSQL: mark it so ``-m "not postgres"`` works."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.postgres)
