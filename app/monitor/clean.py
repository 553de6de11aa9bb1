"""String cleaning before anything is written to the outbox (INGESTION_API.md §10.3).

The server rejects U+0000 and unpaired surrogates and enforces length limits in code points, so
every string is cleaned once on the way in and the outbox only ever holds sendable values.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MAX_PROCESS_NAME = 256
MAX_WINDOW_TITLE = 1024
MAX_LABEL = 1024
MAX_URL = 2048
MAX_DOMAIN = 253

# Other C0/C1 control characters are legal for the server but garble every display: spaces.
_CONTROLS = re.compile(r"[\x01-\x1f\x7f-\x9f]")


def clean_text(value: str | None, max_len: int) -> str:
    """Remove U+0000, replace unpaired surrogates with U+FFFD, controls with spaces, then cut."""
    if not value:
        return ""
    text = value.replace("\x00", "")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        # UTF-16 round trip joins valid pairs and turns lone halves into U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _CONTROLS.sub(" ", text)
    return text[:max_len]


def clean_url(value: str | None) -> str | None:
    """A URL over 2,048 characters loses its query and fragment; ``None`` if still too long."""
    if not value:
        return None
    text = clean_text(value, 10**9).strip()
    if not text:
        return None
    if len(text) > MAX_URL:
        try:
            parts = urlsplit(text)
            text = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        except ValueError:
            return None
    return text if len(text) <= MAX_URL else None


def clean_domain(value: str | None) -> str | None:
    """Lower-cased host, 1–253 characters, else ``None``."""
    if not value:
        return None
    text = clean_text(value, 10**6).strip().lower().rstrip(".")
    if not text or len(text) > MAX_DOMAIN or " " in text:
        return None
    return text
