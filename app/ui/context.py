"""The services one running window uses, opened together and closed together.

Tests and the benchmark build the same object as the real app, so they exercise real parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.profile import Profile
from app.services.cache import CacheMetrics, CacheService
from app.services.data_service import DataService
from app.ui.background import SerialWriter, wait_for_background_tasks
from app.ui.state import UiState


@dataclass
class AppContext:
    """The services one running window uses (profile, cache, DataService, UI state), opened and closed together."""

    profile: Profile
    cache: CacheService
    data: DataService
    metrics: CacheMetrics
    state: UiState
    _writer: SerialWriter | None = field(default=None, repr=False)

    @property
    def writer(self) -> SerialWriter:
        """The one serialized writer thread for bulk writes (imports), started on first use."""
        if self._writer is None:
            self._writer = SerialWriter(at_end=self.profile.db.close_thread)
        return self._writer

    @classmethod
    def open(cls, data_dir: str | Path | None) -> AppContext:
        """Open the profile (migrating its DB) and build the services on the calling (GUI) thread."""
        return cls.for_profile(Profile.open(data_dir))

    @classmethod
    def for_profile(cls, profile: Profile) -> AppContext:
        cache = CacheService()
        data = DataService(profile.db, cache)
        return cls(
            profile=profile,
            cache=cache,
            data=data,
            metrics=CacheMetrics(cache),
            state=UiState.load(profile.paths.data_dir),
        )

    def stop_writer(self) -> None:
        """Let queued bulk writes finish and end the writer thread (before the profile's connections close)."""
        if self._writer is not None:
            self._writer.stop()
            self._writer = None

    def close(self) -> None:
        self.stop_writer()
        wait_for_background_tasks()  # a report or export still reading must end before its connection closes
        self.state.save()
        self.cache.cleanup_timer.stop()
        self.profile.close()
