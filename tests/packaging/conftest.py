"""Registers the ``packaging`` marker: ``pytest -m packaging`` runs only the bundle test,
``pytest -m "not packaging"`` skips it (it builds with PyInstaller when the bundle is stale)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "packaging: builds/starts the PyInstaller bundle (tests/packaging)")
