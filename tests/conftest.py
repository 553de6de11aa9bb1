"""Fixtures shared by every test suite: temporary profiles, an Xvfb display, offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt must not look for a real display unless a test starts one itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read the developer's own profile or API key.
os.environ.pop("WFH_AGENT_DATA_DIR", None)
os.environ.pop("WFH_AGENT_API_KEY", None)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty profile folder for one test."""
    folder = tmp_path / "profile"
    folder.mkdir()
    return folder


@pytest.fixture
def profile(data_dir: Path) -> Iterator[object]:
    """A freshly created and migrated profile."""
    from app.profile import Profile

    opened = Profile.open(data_dir)
    yield opened
    wait_for_pool_jobs()
    opened.close()


def wait_for_pool_jobs() -> None:
    """A view's background read (QThreadPool) must end before its profile's connections are closed:
    closing a connection a pool thread is using crashes the process (seen as a segfault in the suite)."""
    import sys

    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
    if "app.ui.background" in sys.modules:
        from app.ui.background import wait_for_background_tasks

        wait_for_background_tasks(10_000)


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private Xvfb display for the whole session: yields ``":N"``."""
    from tests.support.xvfb import xvfb_display

    with xvfb_display() as display:
        yield display
