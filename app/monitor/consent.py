"""First-run consent: the exact text shown (GUI) or printed (``consent --accept``), and its record.

Consent is stored in the ``settings`` table as the acceptance time and the SHA-256 of the text
that was accepted; a changed text asks again. Nothing is captured while ``has_consent`` is False.
"""

from __future__ import annotations

import hashlib
import sqlite3

from app.monitor.timeutil import ms_to_iso, now_ms
from app.storage import kv

KEY_ACCEPTED_AT = "monitoring.consent_accepted_at"
KEY_SHA256 = "monitoring.consent_sha256"

CONSENT_TEXT = """\
WFH Agent monitoring — what is captured and what is sent

While monitoring runs (it can be paused at any time for 15 minutes, 1 hour or until resumed),
this computer records, every few seconds (monitoring.sample_interval, default 5 s):
  * the name of the application in front and its window title; for web browsers the web site's
    domain and address when the window title shows them;
  * whether you are active, idle (no keyboard or mouse input for monitoring.idle_threshold,
    default 3 minutes), or the screen is locked; while there is no input, whether a media player
    is playing or an application keeps the screen awake (a video, a call: an "idle inhibitor"); then
    the time counts as active and is marked passive (monitoring.passive_media, .passive_inhibitors);
  * overall CPU and memory use, and the battery level and charging state.
From these it computes per day: time per application and web site, productive / unproductive /
neutral / idle time (by the categorization rules you can edit in Settings), active time, breaks,
longest active stretch and overtime.
If screenshots are enabled (monitoring.screenshots_enabled), a picture of the screen is taken
about every 10 minutes (monitoring.screenshot_interval, with random timing) — never while you are
idle, the screen is locked, monitoring is paused, or an excluded application is in front.
Excluded applications and window titles (Settings) are recorded without their title.

All of it is stored first on this computer, in your profile folder. When a server is configured,
the records above and the screenshots are sent to your employer's server over HTTPS.
You can see all of it in the Activity view (or `wfh-agent activity --date YYYY-MM-DD`) and delete
your own screenshots there. Keystrokes, typed text, clipboard, audio and camera are never captured.
"""


def consent_sha256(text: str | None = None) -> str:
    return hashlib.sha256((CONSENT_TEXT if text is None else text).encode("utf-8")).hexdigest()


def consent_accepted_at(conn: sqlite3.Connection) -> str | None:
    """When the current consent text was accepted, or None (never, or a different text)."""
    if kv.get(conn, KEY_SHA256) != consent_sha256():
        return None
    return kv.get(conn, KEY_ACCEPTED_AT)


def has_consent(conn: sqlite3.Connection) -> bool:
    return consent_accepted_at(conn) is not None


def record_consent(conn: sqlite3.Connection) -> str:
    stamp = ms_to_iso(now_ms())
    kv.put(conn, {KEY_ACCEPTED_AT: stamp, KEY_SHA256: consent_sha256()})
    return stamp


def revoke_consent(conn: sqlite3.Connection) -> None:
    kv.delete(conn, [KEY_ACCEPTED_AT, KEY_SHA256])
