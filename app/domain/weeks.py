"""Weeks on the calendar: ISO-week labels, start dates and how a dated week is shown.

A week's ``start_date`` is the day it begins (normally the Monday of its ISO week). The label
defaults to the ISO week of that day (``2026-W48``) and ISO-looking labels are written one way
(upper case ``W``), so ``2026-w48`` and ``2026-W48`` are the same week. Labels are compared
ignoring case everywhere (the database has a NOCASE unique index).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_ISO_LABEL = re.compile(r"^(\d{4})-[wW](\d{2})$")


def monday_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    """``2026-W48`` for any day of that ISO week."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_start(label: str) -> date | None:
    """The Monday of an ISO-week label (any case), or None when the label is not one."""
    match = _ISO_LABEL.match(label.strip())
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:  # week 53 of a 52-week year, week 00
        return None


def normalise_week_label(label: str) -> str:
    """Trimmed, and an ISO-week label upper-cased (``2026-w48`` → ``2026-W48``); other text is kept as typed."""
    text = label.strip()
    return text.upper() if _ISO_LABEL.match(text) else text


def week_range_text(start: date) -> str:
    """``Nov 23–29``, or ``Nov 30–Dec 6`` across a month end (the week's seven days)."""
    end = start + timedelta(days=6)
    first = f"{start:%b} {start.day}"
    return f"{first}–{end.day}" if end.month == start.month else f"{first}–{end:%b} {end.day}"


def week_display(label: str, start_date: str | None) -> str:
    """How the weeks list names a week: ``2026-W48 · Nov 23–29``, or just the label when undated."""
    if not start_date:
        return label
    try:
        start = date.fromisoformat(start_date[:10])
    except ValueError:
        return label
    return f"{label} · {week_range_text(start)}"
