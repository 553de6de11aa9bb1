"""``Changes``: what one DataService transaction changed, sent to the views in one signal.

Like Anki's ``OpChanges``: the service says which weeks and tasks a write touched, each view
decides what to redraw (a row, a total, or everything when ``bulk`` is set).
"""

from __future__ import annotations

from dataclasses import dataclass

BULK_ROWS = 200  # more tasks than this in one write: views re-read instead of following row by row


@dataclass(frozen=True)
class Changes:
    """Ids touched by one committed write; ``bulk`` means "too many to list: re-read everything"."""

    weeks_created: tuple[int, ...] = ()
    weeks_updated: tuple[int, ...] = ()  # fields, label or statistics
    weeks_deleted: tuple[int, ...] = ()
    tasks_created: tuple[int, ...] = ()
    tasks_updated: tuple[int, ...] = ()
    tasks_deleted: tuple[int, ...] = ()
    bulk: bool = False

    @property
    def weeks(self) -> frozenset[int]:
        """Every week whose row, statistics or existence changed."""
        return frozenset((*self.weeks_created, *self.weeks_updated, *self.weeks_deleted))

    def touches_week(self, week_id: int | None) -> bool:
        return self.bulk or (week_id is not None and week_id in self.weeks)
