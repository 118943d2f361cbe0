"""The strict schema of a carrier definition: what the API, the CLI and files may say.

As the routing rule sets (`routing_schema`, whose helpers it reuses): unknown keys are
refused at every level, no text holds control characters, countries are ISO 3166-1
alpha-2 in upper case, prices are decimal strings (or whole numbers) at or above zero
with no more decimals than the carrier's currency has, transit times whole days from 0
to 60, cut-offs HH:MM. Checks across fields (weight bands in increasing order, a
service naming a zone the carrier does not define) sit on the field they name, so every
problem has a path. `normalise_carrier` gives the JSON a Carrier stores: exactly what
the choice of carrier reads back.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, ValidationError, model_validator
from pydantic import Strict as StrictType

from domain.errors import FieldProblem, InvalidCommand
from domain.fulfilment.location import WEEKDAYS
from domain.fulfilment.routing_schema import COUNTRIES, Amount, Label, LocationCode, Spec
from domain.money import MINOR_UNITS
from domain.text import text_problem

CARRIER_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"  # as dispatch names a carrier
NAME = r"^[a-z0-9][a-z0-9_-]{0,31}$"  # zones, services and adapters
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# A destination of a zone: a country, or a country with postal codes: one code (BE:1000),
# those starting with a prefix (NL:10*), or a range of codes of one length (BE:1000-1299).
DESTINATION = r"^[A-Z]{2}(:[A-Z0-9]{1,10}(\*|-[A-Z0-9]{1,10})?)?$"
MAX_GRAMS = 1_000_000

ZoneName = Annotated[str, Field(pattern=NAME)]
ServiceName = Annotated[str, Field(pattern=NAME)]
Days = Annotated[int, StrictType(), Field(ge=0, le=60)]
Grams = Annotated[int, StrictType(), Field(ge=1, le=MAX_GRAMS)]


def _one_of(known: tuple[str, ...] | list[str], what: str) -> Any:
    def check(value: str) -> str:
        if value not in known:
            raise ValueError(f"unknown {what} {value!r}")
        return value

    return AfterValidator(check)


Weekday = Annotated[
    str, _one_of(WEEKDAYS, "day"), Field(json_schema_extra={"enum": list(WEEKDAYS)})
]
Currency = Annotated[
    str, _one_of(sorted(MINOR_UNITS), "currency"),
    Field(json_schema_extra={"enum": sorted(MINOR_UNITS)}),
]  # fmt: skip


def _destination(value: str) -> str:
    country, _, postal = value.partition(":")
    if country not in COUNTRIES:
        raise ValueError(f"{country!r} is not an ISO 3166-1 alpha-2 country code (upper case)")
    low, dash, high = postal.partition("-")
    if dash and (len(low) != len(high) or low > high):
        raise ValueError("a postal range joins two codes of one length, the lower first")
    return value


def _url(value: str) -> str:
    if problem := text_problem(value):
        raise ValueError(problem)
    if "{tracking_number}" not in value:
        raise ValueError("must hold {tracking_number}, where the number goes")
    return value


Destination = Annotated[str, Field(pattern=DESTINATION), AfterValidator(_destination)]
TrackingUrl = Annotated[
    str,
    StringConstraints(max_length=500),
    Field(pattern=r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$"),
    AfterValidator(_url),
]


class BandSpec(Spec):
    """Parcels up to this weight (inclusive) cost this price."""

    up_to_grams: Grams
    price: Amount


class ServiceSpec(Spec):
    service_level: Label
    transit_days: Annotated[dict[ZoneName, Days], Field(min_length=1, max_length=100)]
    rates: Annotated[
        dict[ZoneName, Annotated[list[BandSpec], Field(min_length=1, max_length=100)]],
        Field(min_length=1, max_length=100),
    ]


class CarrierSpec(Spec):
    code: Annotated[str, Field(pattern=CARRIER_CODE), AfterValidator(str.upper)]
    name: Label
    adapter: Annotated[str, Field(pattern=NAME)] = "builtin"
    active: Annotated[bool, StrictType()] = True
    tracking_url: TrackingUrl
    tracking_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    currency: Currency
    working_days: Annotated[list[Weekday], Field(min_length=1, max_length=7)] = [
        "mon", "tue", "wed", "thu", "fri"]  # fmt: skip
    # location code -> the latest local time the carrier collects there; absent: the
    # location's own cutoff_time.
    pickup_cutoffs: Annotated[
        dict[LocationCode, Annotated[str, Field(pattern=HHMM)]], Field(max_length=10_000)
    ] = {}
    zones: Annotated[
        dict[ZoneName, Annotated[list[Destination], Field(min_length=1, max_length=10_000)]],
        Field(min_length=1, max_length=100),
    ]
    services: Annotated[dict[ServiceName, ServiceSpec], Field(min_length=1, max_length=50)]

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """JSON has one kind of number: 3.0 is the integer 3 (3.5 stays a float, refused)."""
        return _whole(data)


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_whole(inner) for inner in value]
    return value


def consistency_problems(spec: CarrierSpec) -> list[FieldProblem]:
    """What no schema of one field can say: bands in order, zones defined, prices in the
    currency's minor units, a destination in one zone only, the builtin adapter's prefix."""
    problems = []
    for name, service in spec.services.items():
        for table in ("transit_days", "rates"):
            for zone in sorted(set(getattr(service, table)) - set(spec.zones)):
                problems.append(FieldProblem(f"services.{name}.{table}.{zone}",
                                             "not a zone of this carrier"))  # fmt: skip
        for zone, bands in service.rates.items():
            path = f"services.{name}.rates.{zone}"
            if any(a.up_to_grams >= b.up_to_grams for a, b in itertools.pairwise(bands)):
                problems.append(FieldProblem(path, "bands must be in increasing up_to_grams"))
            places = MINOR_UNITS[spec.currency]
            problems += [
                FieldProblem(
                    f"{path}.{n}.price", f"more than {places} decimals for {spec.currency}"
                )
                for n, band in enumerate(bands)
                if band.price != band.price.quantize(Decimal(1).scaleb(-places))
            ]
    seen: dict[str, str] = {}
    for zone, destinations in spec.zones.items():
        for destination in destinations:
            if seen.setdefault(destination, zone) != zone:
                problems.append(FieldProblem(f"zones.{zone}", f"{destination} is in zone "
                                             f"{seen[destination]} too"))  # fmt: skip
    if spec.adapter == "builtin" and spec.tracking_prefix is None:
        problems.append(FieldProblem("tracking_prefix", "the builtin adapter needs two letters"))
    return problems


def normalise_carrier(data: Any) -> dict[str, Any]:
    """The checked definition as the JSON a Carrier stores: defaults filled in, prices as
    decimal strings in the currency's minor units, codes in upper case, days in week order,
    destinations sorted; checking it again gives the same. InvalidCommand names every
    problem by its path."""
    try:
        spec = CarrierSpec.model_validate(data)
    except ValidationError as error:
        raise InvalidCommand([_problem(detail) for detail in error.errors()]) from None
    if problems := consistency_problems(spec):
        raise InvalidCommand(problems)
    record = spec.model_dump(mode="json", exclude_none=True)
    record["working_days"] = [day for day in WEEKDAYS if day in spec.working_days]
    record["zones"] = {zone: sorted(set(found)) for zone, found in sorted(spec.zones.items())}
    places = Decimal(1).scaleb(-MINOR_UNITS[spec.currency])
    for service in record["services"].values():
        for bands in service["rates"].values():
            for band in bands:
                band["price"] = f"{Decimal(band['price']).quantize(places):f}"
    return record


def _problem(detail: Any) -> FieldProblem:
    path = ".".join(str(part) for part in detail["loc"]) or "carrier"
    message = "unknown field" if detail["type"] == "extra_forbidden" else detail["msg"]
    return FieldProblem(path, message)
