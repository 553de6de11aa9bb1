"""WFH Agent ingestion server (contract: docs/INGESTION_API.md)."""

from __future__ import annotations

from importlib import metadata

SERVICE_NAME = "wfh-agent-ingestion"
API_VERSION = "1"


def _installed_version() -> str:
    """Installed alone (``pip install ./ingestion``) or with the desktop app (the root project)."""
    for distribution in ("wfh-ingestion", "wfh-agent"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return "0.0.0"  # a source tree that was never installed


__version__ = _installed_version()
