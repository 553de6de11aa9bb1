"""WFH Agent ingestion server (contract: docs/INGESTION_API.md)."""

from __future__ import annotations

from importlib import metadata

SERVICE_NAME = "wfh-agent-ingestion"
API_VERSION = "1"

try:
    __version__ = metadata.version("wfh-agent")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
