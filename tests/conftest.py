"""Fixtures shared by every test suite: temporary profiles, an Xvfb display, offscreen Qt."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt must not look for a real display unless a test starts one itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read the developer's own profile or API key.
os.environ.pop("WFH_AGENT_DATA_DIR", None)
os.environ.pop("WFH_AGENT_API_KEY", None)


FULL_COLLECTION_EVERY = 50  # tests; a full collection of the suite's heap takes ~0.1-0.2 s
_tests_run = [0]


def pytest_configure(config: pytest.Config) -> None:
    """Garbage is collected on the main thread only, between tests (as the app does with
    ``app.ui.gc_guard.GuiThreadCollector``): an automatic collection started by a server, proxy or
    worker thread could free a Qt object of the GUI thread there, and crash the process."""
    gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    yield
    _tests_run[0] += 1
    gc.collect(2 if _tests_run[0] % FULL_COLLECTION_EVERY == 0 else 1)


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
