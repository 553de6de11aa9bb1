from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.services.cache import CacheService
from app.services.data_service import DataService


@pytest.fixture
def service(profile: Any, qapp: Any) -> Iterator[DataService]:
    yield DataService(profile.db, CacheService())
