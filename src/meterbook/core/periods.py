"""Calendar arithmetic in a time zone: billing months, report days, weeks and months.

Everything works on integer microseconds since the epoch (UTC), the form records are stored in.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from meterbook.core.records import from_epoch_us, to_epoch_us

US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name; ValueError naming it when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as "
                         "'Europe/Paris' or 'UTC')") from None


def month_label(ts_us: int, tz: ZoneInfo) -> str:
    return from_epoch_us(ts_us).astimezone(tz).strftime("%Y-%m")


def month_start_us(year: int, month: int, tz: ZoneInfo) -> int:
    return to_epoch_us(datetime(year, month, 1, tzinfo=tz))


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def parse_month(label: str) -> tuple[int, int]:
    """'2026-03' -> (2026, 3); ValueError for anything else."""
    try:
        moment = datetime.strptime(label, "%Y-%m")
    except ValueError:
        raise ValueError(f"{label!r} is not a month; expected YYYY-MM, e.g. 2026-03") from None
    return moment.year, moment.month


def month_labels_between(first: str, last: str) -> list[str]:
    """Every month label from first to last, inclusive."""
    y, m = parse_month(first)
    end = parse_month(last)
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = next_month(y, m)
    return out


class MonthIndex:
    """Maps instants to billing-month labels of one zone by bisecting month starts.

    Converting each of a million timestamps with datetime is slow; month starts are few.
    """

    def __init__(self, tz: ZoneInfo, first_us: int, last_us: int):
        start = from_epoch_us(first_us).astimezone(tz)
        y, m = start.year, start.month
        self.starts: list[int] = []
        self.labels: list[str] = []
        while True:
            s = month_start_us(y, m, tz)
            if s > last_us:
                break
            self.starts.append(s)
            self.labels.append(f"{y:04d}-{m:02d}")
            y, m = next_month(y, m)

    def label(self, ts_us: int) -> str:
        return self.labels[bisect.bisect_right(self.starts, ts_us) - 1]


def days_of_month(year: int, month: int) -> list[date]:
    y2, m2 = next_month(year, month)
    n = (date(y2, m2, 1) - date(year, month, 1)).days
    return [date(year, month, d) for d in range(1, n + 1)]


def local_midnight_us(day: date, tz: ZoneInfo) -> int:
    return to_epoch_us(datetime(day.year, day.month, day.day, tzinfo=tz))


def day_key(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def week_key(moment: datetime | date) -> str:
    """ISO week label, e.g. 2026-W09, which sorts in time order."""
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_day(text: str, tz: ZoneInfo) -> int:
    """'2026-03-01' (midnight in tz) or a full ISO instant -> epoch microseconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-01") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return to_epoch_us(moment)


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def is_whole_hour_zone(tz: ZoneInfo, first_us: int, last_us: int) -> bool:
    """True when the zone's UTC offset is a whole number of hours over the range.

    Hourly rollups can then be assigned to local days exactly. Checked at each month start and
    in between every two weeks, which catches every offset change of the IANA database.
    """
    t = from_epoch_us(first_us)
    end = from_epoch_us(last_us) + timedelta(days=14)
    while t <= end:
        off = t.astimezone(tz).utcoffset()
        if off is not None and off.total_seconds() % 3600:
            return False
        t += timedelta(days=14)
    return True
