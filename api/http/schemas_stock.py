"""Request models of the stock and location API; what every model refuses is in `strictness`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union, get_args
from zoneinfo import available_timezones

from pydantic import Field, create_model, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from api.http.patterns import text_pattern
from api.http.schemas import CountryCode, LineId
from api.http.strictness import FROM_TEXT, MULTI_LINE, Moment, Strict, StrictQuery
from api.locating import locate_location
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.location import WEEKDAYS, Capability, LocationProfile, LocationType

TIME_ZONES = frozenset(available_timezones())
Sku = Annotated[str, Field(min_length=1, max_length=64)]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
Quantity = Annotated[int, Field(ge=0, le=10_000_000)]
OrderId = Annotated[str, Field(pattern=text_pattern(1, 64, excluded="/"))]


class LocationIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: Annotated[LocationType, FROM_TEXT]
    country: CountryCode
    # Optional when address.city can be located in the country (api.locating).
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    time_zone: Annotated[str, Field(max_length=64, json_schema_extra={"enum": sorted(TIME_ZONES)})]
    address: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=64)],
            Annotated[str, Field(max_length=200)],
        ],
        Field(max_length=20),
    ] = {}
    channels: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]], Field(max_length=100)
    ] = []
    daily_capacity: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    cutoff_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "17:00"
    working_days: Annotated[
        list[Annotated[str, Field(json_schema_extra={"enum": list(WEEKDAYS)})]], Field(max_length=7)
    ] = ["mon", "tue", "wed", "thu", "fri"]
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    capabilities: Annotated[list[Annotated[Capability, FROM_TEXT]], Field(max_length=3)] = [
        Capability.SHIPS
    ]
    active: bool = True
    groups: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)
    ] = []

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
        """The profile, with its point: the coordinates sent, or its address.city located."""
        values = self.model_dump()
        for key in ("channels", "working_days", "capabilities", "groups"):
            values[key] = tuple(values[key])
        return LocationProfile(code=code.upper(), **locate_location(values))


def _every_field_optional(model: type[LocationIn]) -> dict[str, Any]:
    """Each field of `model` with its rules, not required (unset: not sent)."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        # Not nullable: left out is "keep", and null is refused (the schema says so too).
        annotation: Any = info.annotation
        if type(None) in get_args(annotation):  # latitude, longitude: optional in PUT only
            annotation = Union[tuple(a for a in get_args(annotation) if a is not type(None))]  # noqa: UP007
        fields[name] = (annotation, FieldInfo.merge_field_infos(info, default=None))
    return fields


class _LocationChanges(LocationIn):
    """PATCH /locations/{code}: only the fields to change, each under the rules of PUT."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict) and (nulls := sorted(k for k, v in data.items() if v is None)):
            raise PydanticCustomError(
                "null", "null is no value here: leave out the fields to keep ({fields})",
                {"fields": ", ".join(nulls)},
            )  # fmt: skip
        return data

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True)
        if "address" in values:
            values["address"] = dict(values["address"])
        for key in ("channels", "working_days", "capabilities", "groups"):
            if key in values:
                values[key] = tuple(values[key])
        return values


if TYPE_CHECKING:  # what it offers; built below with every field of LocationIn optional
    LocationPatchIn = _LocationChanges
else:
    LocationPatchIn = create_model(
        "LocationPatchIn", __base__=_LocationChanges, **_every_field_optional(LocationIn)
    )


class CountIn(Strict):
    location: Code
    sku: Sku
    quantity: Quantity
    counted_at: Moment
    safety_stock: Quantity | None = None

    def to_count(self) -> StockCount:
        return StockCount(
            self.location.upper(), self.sku, self.quantity, self.counted_at, self.safety_stock
        )


class CountsIn(Strict):
    counts: Annotated[list[CountIn], Field(min_length=1, max_length=20_000)]


class MovementIn(Strict):
    location: Code
    sku: Sku
    movement: Annotated[Movement, FROM_TEXT]
    quantity: Annotated[int, Field(ge=-10_000_000, le=10_000_000)]
    reference: Annotated[str, Field(min_length=1, max_length=128)]
    reason: Annotated[str, Field(max_length=500), MULTI_LINE] = ""


class ReservationIn(Strict):
    location: Code
    sku: Sku
    order_id: OrderId
    lines: Annotated[
        dict[LineId, Annotated[int, Field(gt=0, le=10_000_000)]],
        Field(min_length=1, max_length=500),
    ]


class ReleaseIn(Strict):
    location: Code
    sku: Sku
    order_id: OrderId
    line_ids: Annotated[list[LineId], Field(min_length=1, max_length=500)] | None = None


class LocationQuery(StrictQuery):
    channel: Annotated[str, Field(max_length=64)] | None = None
    active: bool | None = None


class AvailabilityQuery(StrictQuery):
    sku: Annotated[list[Sku], Field(min_length=1, max_length=500)]
    channel: Annotated[str, Field(min_length=1, max_length=64)]
