"""ISO-week labels, start dates and the weeks list's "2026-W48 · Nov 23–29"."""

from __future__ import annotations

from datetime import date

from app.domain.weeks import iso_week_label, iso_week_start, monday_of, normalise_week_label, week_display


def test_iso_week_helpers() -> None:
    assert monday_of(date(2026, 11, 26)) == date(2026, 11, 23)
    assert iso_week_label(date(2026, 11, 29)) == "2026-W48"
    assert iso_week_label(date(2027, 1, 1)) == "2026-W53"
    assert iso_week_start("2026-w48") == date(2026, 11, 23)
    assert iso_week_start("2025-W53") is None and iso_week_start("Sprint 4") is None


def test_labels_are_normalised_and_displayed_with_dates() -> None:
    assert normalise_week_label("  2026-w48 ") == "2026-W48"
    assert normalise_week_label(" sprint w4 ") == "sprint w4"
    assert week_display("2026-W48", "2026-11-23") == "2026-W48 · Nov 23–29"
    assert week_display("2026-W49", "2026-11-30") == "2026-W49 · Nov 30–Dec 6"
    assert week_display("Imported", None) == "Imported"
