"""The Location aggregate: a warehouse, distribution centre, store or drop-ship supplier.

Every location has a point (sourcing measures distances from it): the
coordinates sent, or those the edge found for its `address.city` in its
country; `located_by` says which ({"method": "given"} or {"method": "city", ...}).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Problems
from domain.text import text_problems

LOCATION_NAMESPACE = UUID("0b7c1c8e-4f0e-4a5e-8d1e-5a2f3c9b7d21")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    DISTRIBUTION_CENTRE = "distribution_centre"
    STORE = "store"
    DROP_SHIP = "drop_ship_supplier"


class Capability(StrEnum):
    SHIPS = "ships"
    PICKUP = "pickup"
    RETURNS = "returns"


@dataclass(frozen=True)
class LocationProfile:
    """Everything that describes a location; each change of it is an event."""

    code: str
    name: str
    type: LocationType
    country: str
    latitude: float
    longitude: float
    time_zone: str
    address: dict[str, str] = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    daily_capacity: int = 0
    cutoff_time: str = "17:00"
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    priority: int = 100
    capabilities: tuple[Capability, ...] = (Capability.SHIPS,)
    active: bool = True
    groups: tuple[str, ...] = ()  # e.g. "north", "outlets": for routing rules
    # How the point was found; profiles recorded before it was kept had their coordinates given.
    located_by: dict[str, Any] = field(default_factory=lambda: {"method": "given"})

    def as_record(self) -> dict[str, Any]:
        """The JSON form stored in events: sorted lists, plain strings."""
        record = asdict(self)
        record["type"] = self.type.value
        record["channels"] = sorted(set(self.channels))
        record["working_days"] = [d for d in WEEKDAYS if d in self.working_days]
        record["capabilities"] = sorted({c.value for c in self.capabilities})
        record["groups"] = sorted(set(self.groups))
        record["located_by"] = dict(self.located_by)
        return record


def profile_of(record: dict[str, Any]) -> LocationProfile:
    """The profile a location's stored record describes (`LocationProfile.as_record` back)."""
    values = dict(record)
    values["type"] = LocationType(values["type"])
    values["capabilities"] = tuple(Capability(c) for c in values["capabilities"])
    for key in ("channels", "working_days", "groups"):
        values[key] = tuple(values.get(key, ()))
    return LocationProfile(**values)


def location_id_for(code: str) -> UUID:
    return uuid5(LOCATION_NAMESPACE, code.upper())


def check_profile(profile: LocationProfile, time_zones: frozenset[str] | None = None) -> None:
    """Raise InvalidCommand naming every field at fault."""
    problems = Problems()
    for path, problem in text_problems(profile):
        if path[:1] != ("code",):  # the code has a stricter rule of its own, below
            problems.add(".".join(map(str, path)) or "profile", problem)
    if not CODE_PATTERN.fullmatch(profile.code):
        problems.add("code", "letters, digits, '.', '_' or '-', at most 32")
    if not profile.name.strip():
        problems.add("name", "must not be blank")
    if not re.fullmatch(r"[A-Z]{2}", profile.country):
        problems.add("country", "must be an ISO 3166-1 alpha-2 code")
    if not -90 <= profile.latitude <= 90:
        problems.add("latitude", "must be between -90 and 90")
    if not -180 <= profile.longitude <= 180:
        problems.add("longitude", "must be between -180 and 180")
    if time_zones is not None and profile.time_zone not in time_zones:
        problems.add("time_zone", f"unknown time zone {profile.time_zone!r}")
    if profile.daily_capacity < 0:
        problems.add("daily_capacity", "must not be negative")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", profile.cutoff_time):
        problems.add("cutoff_time", "must be HH:MM")
    for day in profile.working_days:
        if day not in WEEKDAYS:
            problems.add("working_days", f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
    problems.raise_if_any()


class Location(Aggregate):
    class Registered(Aggregate.Created):
        code: str
        profile: dict[str, Any]
        at: datetime

    class Changed(Aggregate.Event):
        changes: dict[str, Any]
        at: datetime

    @staticmethod
    def create_id(code: str) -> UUID:
        return location_id_for(code)

    @event(Registered)
    def __init__(self, code: str, profile: dict[str, Any], at: datetime) -> None:
        self.code = code
        self.profile = profile

    @classmethod
    def register(cls, profile: LocationProfile, now: datetime) -> Location:
        return cls(code=profile.code, profile=profile.as_record(), at=now)

    def redefine(self, profile: LocationProfile, now: datetime) -> bool:
        """Record what differs from the current profile; False when nothing does. The current
        profile is read with today's defaults, so a field added since it was recorded is no
        change while it holds its default."""
        record, current = profile.as_record(), profile_of(self.profile).as_record()
        changes = {key: value for key, value in record.items() if current.get(key) != value}
        changes.pop("code", None)
        if not changes:
            return False
        self._changed(changes=changes, at=now)
        return True

    @property
    def active(self) -> bool:
        return bool(self.profile["active"])

    @event(Changed)
    def _changed(self, changes: dict[str, Any], at: datetime) -> None:
        self.profile = {**self.profile, **changes}
