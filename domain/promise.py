"""Delivery promises: the ship-by and deliver-by dates an order is given, from calendars.

A location hands parcels to carriers on its working days up to its cut-off time, in its
own time zone, and not on the public holidays of its country (the `holidays` package).
An order placed before the cut-off of a working day has that day as its day 0; placed
later, or on a day off, its day 0 is the next working day. The channel's service level
gives handling days (working days the location may take before it ships: 0 ships on
day 0) and transit days (the carrier's working days in the destination country, from
the day after shipping). So:

    ship-by    = the cut-off on the working day `handling_days` after day 0
    deliver-by = the end (23:59:59, the location's time zone) of the carrier working day
                 `transit_days` after the ship-by day; 0 transit days: the ship-by day

The functions take the time as an argument and read no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = ("mon", "tue", "wed", "thu", "fri")
END_OF_DAY = time(23, 59, 59)
MAX_DAYS = 400  # a calendar with no working day in this many days is refused, not looped on


@lru_cache(maxsize=4096)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of a country in a year; none for a country the package lacks."""
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()


@dataclass(frozen=True)
class Calendar:
    """When parcels can leave (or arrive): working days, cut-off, time zone, holidays."""

    time_zone: str
    country: str
    working_days: tuple[str, ...] = WEEK
    cutoff: str = "17:00"  # HH:MM, local

    def works_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.working_days and day not in public_holidays(
            self.country, day.year
        )

    def next_working(self, day: date) -> date:
        """The first working day after `day`."""
        for step in range(1, MAX_DAYS):
            candidate = day + timedelta(days=step)
            if self.works_on(candidate):
                return candidate
        raise ValueError(f"no working day within {MAX_DAYS} days of {day}")

    def working_days_after(self, day: date, count: int) -> date:
        for _ in range(count):
            day = self.next_working(day)
        return day

    def day_zero(self, moment: datetime) -> date:
        """The first day an order placed at `moment` can leave: today before the cut-off
        of a working day, else the next working day."""
        local = moment.astimezone(self.zone)
        if self.works_on(local.date()) and local.time() < self.cutoff_time:
            return local.date()
        return self.next_working(local.date())

    def cutoff_at(self, day: date) -> datetime:
        """The cut-off of `day`, in UTC (zoneinfo resolves the daylight-saving changes)."""
        return datetime.combine(day, self.cutoff_time, self.zone).astimezone(UTC)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, self.zone).astimezone(UTC)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def cutoff_time(self) -> time:
        hours, minutes = self.cutoff.split(":")
        return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Terms:
    """A channel's service level, as an order was given it."""

    service_level: str
    handling_days: int
    transit_days: int
    time_zone: str = "UTC"  # the channel's: an order no location has taken is promised there
    at_risk_hours: int = 4  # the clock warns this long before the ship-by
    return_days: int = 30  # a delivered order is completed this long after its delivery

    def as_record(self) -> dict[str, Any]:
        return {"service_level": self.service_level, "handling_days": self.handling_days,
                "transit_days": self.transit_days, "time_zone": self.time_zone,
                "at_risk_hours": self.at_risk_hours, "return_days": self.return_days}  # fmt: skip

    @classmethod
    def of(cls, record: dict[str, Any]) -> Terms:
        return cls(record["service_level"], record["handling_days"], record["transit_days"],
                   record.get("time_zone", "UTC"), record.get("at_risk_hours", 4),
                   record.get("return_days", 30))  # fmt: skip


@dataclass(frozen=True)
class Promise:
    ship_by: datetime
    deliver_by: datetime

    def as_record(self) -> dict[str, str]:
        return {"ship_by": self.ship_by.isoformat(), "deliver_by": self.deliver_by.isoformat()}


def promise(placed_at: datetime, terms: Terms, ships: Calendar, delivers: Calendar) -> Promise:
    """The dates an order placed at `placed_at` is promised, leaving by `ships` (the
    location's calendar) and carried by `delivers` (the carrier's days in the destination)."""
    ship_day = ships.working_days_after(ships.day_zero(placed_at), terms.handling_days)
    arrival = delivers.working_days_after(ship_day, terms.transit_days)
    return Promise(ships.cutoff_at(ship_day), ships.end_of(arrival))


def latest(promises: list[Promise]) -> Promise:
    """An order split over several locations is shipped (delivered) when its last part is."""
    return Promise(max(p.ship_by for p in promises), max(p.deliver_by for p in promises))


def delivery_calendar(ships: Calendar, destination_country: str,
                      working_days: tuple[str, ...] = WEEK) -> Calendar:  # fmt: skip
    """The carrier's working days, with the destination's holidays, dated in the time zone
    of the location (deliver-by is the end of a day there)."""
    return Calendar(ships.time_zone, destination_country, working_days, ships.cutoff)


def order_within(now: datetime, ships: Calendar) -> timedelta:
    """How long an order can still wait and keep the day-0 of an order placed now."""
    return ships.cutoff_at(ships.day_zero(now)) - now


def spoken(delta: timedelta) -> str:
    """'2 h 14 min', '3 d 4 h', '45 min'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
