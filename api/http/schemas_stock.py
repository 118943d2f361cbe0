"""Request models of the stock and location API."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.http.schemas import CountryCode
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.location import WEEKDAYS, Capability, LocationProfile, LocationType

TIME_ZONES = frozenset(available_timezones())
Sku = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocationIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: LocationType
    country: CountryCode
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    time_zone: str
    address: dict[str, Annotated[str, Field(max_length=200)]] = {}
    channels: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]] = []
    daily_capacity: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    cutoff_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "17:00"
    working_days: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    capabilities: list[Capability] = [Capability.SHIPS]
    active: bool = True
    groups: list[Annotated[str, Field(min_length=1, max_length=64)]] = []

    @field_validator("time_zone")
    @classmethod
    def known_time_zone(cls, value: str) -> str:
        if value not in TIME_ZONES:
            raise ValueError("not an IANA time zone, e.g. Europe/Brussels")
        return value

    @field_validator("working_days")
    @classmethod
    def known_days(cls, value: list[str]) -> list[str]:
        unknown = [day for day in value if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown days {unknown}; use {', '.join(WEEKDAYS)}")
        return value

    def to_profile(self, code: str) -> LocationProfile:
        values = self.model_dump()
        for key in ("channels", "working_days", "capabilities", "groups"):
            values[key] = tuple(values[key])
        return LocationProfile(code=code.upper(), **values)


class CountIn(Strict):
    location: Code
    sku: Sku
    quantity: Annotated[int, Field(strict=True, ge=0, le=10_000_000)]
    counted_at: AwareDatetime
    safety_stock: Annotated[int, Field(strict=True, ge=0, le=10_000_000)] | None = None

    def to_count(self) -> StockCount:
        return StockCount(
            self.location.upper(), self.sku, self.quantity, self.counted_at, self.safety_stock
        )


class CountsIn(Strict):
    counts: Annotated[list[CountIn], Field(min_length=1, max_length=20_000)]


class MovementIn(Strict):
    location: Code
    sku: Sku
    movement: Movement
    quantity: Annotated[int, Field(strict=True, ge=-10_000_000, le=10_000_000)]
    reference: Annotated[str, Field(min_length=1, max_length=128)]
    reason: Annotated[str, Field(max_length=500)] = ""


class ReservationIn(Strict):
    location: Code
    sku: Sku
    order_id: Annotated[str, Field(pattern=r"^[^/]{1,64}$")]
    lines: Annotated[dict[str, Annotated[int, Field(strict=True, gt=0)]], Field(min_length=1)]


class ReleaseIn(Strict):
    location: Code
    sku: Sku
    order_id: Annotated[str, Field(pattern=r"^[^/]{1,64}$")]
    line_ids: Annotated[list[str], Field(min_length=1)] | None = None


class LocationQuery(Strict):
    channel: str | None = None
    active: bool | None = None


class AvailabilityQuery(Strict):
    sku: Annotated[list[Sku], Field(min_length=1, max_length=500)]
    channel: Annotated[str, Field(min_length=1)]
