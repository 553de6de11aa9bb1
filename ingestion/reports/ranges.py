"""Date ranges of a report in the employee's own time zone: parsing, the 400-day cap, and the UTC
instants where each local day or hour starts (DST-correct, computed with zoneinfo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestion.checks import DATE_RE
from ingestion.errors import ApiError

MAX_DAYS = 400
# Every day a report asks for: a day before or after, and a local midnight in any zone, are still dates
# Python and PostgreSQL can compute with (9999-12-31 + 1 day overflows).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def parse_day(value: str | None, name: str) -> date:
    if value is None:
        raise ApiError(422, "invalid_range", f"{name}: required, YYYY-MM-DD")
    try:
        if DATE_RE.fullmatch(value) is None:  # not the ISO week form fromisoformat also takes
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_range", f"{name}: must be a date YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApiError(422, "invalid_range", f"{name}: must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of calendar days in one employee's zone (DST-correct day boundaries)."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def day_starts(self) -> list[datetime]:
        """UTC start of every local day, plus the end of the last one (len = days + 1)."""
        return [local_midnight(d, self.tz) for d in [*self.days, self.last + timedelta(days=1)]]

    def hour_starts(self) -> tuple[list[datetime], list[int]]:
        """UTC start of every local hour in the range (+ the end), and the local hour of each."""
        start, end = local_midnight(self.first, self.tz), local_midnight(self.last + timedelta(days=1), self.tz)
        instants, hours = [], []
        moment = start
        while moment < end:
            instants.append(moment)
            hours.append(moment.astimezone(self.tz).hour)
            moment += timedelta(hours=1)
        instants.append(end)
        return instants, hours


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant the local day starts (a midnight skipped by DST starts at the first valid time)."""
    naive = datetime(day.year, day.month, day.day)
    for minutes in range(0, 24 * 60, 15):
        candidate = (naive + timedelta(minutes=minutes)).replace(tzinfo=tz)
        back = candidate.astimezone(UTC).astimezone(tz)
        if back.replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return candidate.astimezone(UTC)
    return naive.replace(tzinfo=UTC)


def day_range(from_: str | None, to: str | None, tz: ZoneInfo) -> DayRange:
    first, last = parse_day(from_, "from"), parse_day(to, "to")
    if last < first:
        raise ApiError(422, "invalid_range", "to must not be before from")
    if (last - first).days + 1 > MAX_DAYS:
        raise ApiError(422, "invalid_range", f"at most {MAX_DAYS} days per request")
    return DayRange(first, last, tz)
