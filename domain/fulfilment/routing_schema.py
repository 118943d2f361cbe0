"""The strict schema of a routing rule set: what the API, the CLI and files may say.

Every object forbids unknown keys; numbers are finite and of the right type
(no booleans, no strings for kilometres); amounts are non-negative decimals;
countries, location types and channels are the ones orders and locations
use; no text holds control characters. Criteria are a union tagged by
`kind`, each with its own parameters. Checks that span fields (a minimum
above a maximum, bands out of order) sit on the field they name, so every
problem has a path. `routing_rules` turns a checked rule set into the
frozen objects sourcing reads.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from domain.fulfilment.location import CODE_PATTERN, LocationType
from domain.text import text_problem


class Fallback(StrEnum):
    BACKORDER = "backorder"
    EXCEPTION = "exception"
    CANCEL = "cancel_unfillable"


CHANNEL_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # as orders name their channel
# For the JSON schema: not blank, and no control characters or line breaks (domain.text).
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
LABEL_PATTERN = f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"
COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)
_KNOWN_COUNTRIES = frozenset(COUNTRIES)
MAX_AMOUNT = Decimal("999999999999.9999")  # as order amounts: 12 digits, 4 decimals
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"


def _printable(value: str) -> str:
    if problem := text_problem(value):
        raise ValueError(problem)
    return value


def _country(value: str) -> str:
    if value not in _KNOWN_COUNTRIES:  # exact: a lower-case code would never match an order
        raise ValueError("not an ISO 3166-1 alpha-2 country code (upper case)")
    return value


def _amount(value: Any) -> Any:
    if isinstance(value, bool | float) or (
        isinstance(value, str) and not re.fullmatch(AMOUNT_PATTERN, value)
    ):
        raise ValueError('a decimal string such as "25.00" (at most 4 decimals) or a whole number')
    return value


def _country_or_any(value: str) -> str:
    return value if value == "*" else _country(value)


_Printable = (AfterValidator(_printable), Field(json_schema_extra={"pattern": LABEL_PATTERN}))
# Names and values (regions, tags, SKUs, groups): surrounding blanks could never match.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                  *_Printable]  # fmt: skip
Channel = Annotated[str, Field(pattern=CHANNEL_PATTERN)]
Country = Annotated[str, AfterValidator(_country), Field(json_schema_extra={"enum": COUNTRIES})]
RateCountry = Annotated[
    str, AfterValidator(_country_or_any), Field(json_schema_extra={"enum": [*COUNTRIES, "*"]})
]
# Location codes are case-insensitive and stored in upper case: so are the rate tables' keys.
LocationCode = Annotated[str, Field(pattern=CODE_PATTERN.pattern), AfterValidator(str.upper)]
Km = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
Cost = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
# Money is exact: a decimal string or a whole number, never a float (0.1 is not 0.1).
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(ge=0, le=MAX_AMOUNT),
    WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
        {"type": "string", "pattern": AMOUNT_PATTERN},
    ]}),
]  # fmt: skip
Priority = Annotated[int, Strict(), Field(ge=0, le=9)]  # as orders: 0 normal ... 9 most urgent


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- conditions -------------------------------------------------------------------------------


class ConditionsSpec(Spec):
    """When a strategy applies; every condition given must hold, an absent one always does."""

    channels: Annotated[list[Channel], Field(max_length=1000)] | None = None
    countries: Annotated[list[Country], Field(max_length=300)] | None = None
    regions: Annotated[list[Label], Field(max_length=1000)] | None = None
    min_value: Amount | None = None
    max_value: Amount | None = None
    service_levels: Annotated[list[Label], Field(max_length=100)] | None = None
    min_priority: Priority | None = None
    tags: Annotated[list[Label], Field(max_length=1000)] | None = None
    skus: Annotated[list[Label], Field(max_length=10_000)] | None = None

    @field_validator("max_value")
    @classmethod
    def _not_below_the_minimum(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        least = info.data.get("min_value")
        if value is not None and least is not None and value < least:
            raise ValueError(f"below min_value {least}: no order could match")
        return value


# -- criteria: exclusion ------------------------------------------------------------------------


class ChannelSpec(Spec):
    kind: Literal["channel"]


class CapacitySpec(Spec):
    kind: Literal["capacity"]


class MaxDistanceSpec(Spec):
    kind: Literal["max_distance"]
    km: Km


# "include or exclude, non-empty", said in the JSON schema too.
_SELECTS: JsonDict = {
    "anyOf": [
        {"required": [key], "properties": {key: {"type": "array", "minItems": 1}}}
        for key in ("include", "exclude")
    ]
}


class _Selection(Spec):
    model_config = ConfigDict(json_schema_extra=_SELECTS)

    @model_validator(mode="after")
    def _selects_something(self) -> _Selection:
        if not (getattr(self, "include", None) or getattr(self, "exclude", None)):
            raise ValueError("give include or exclude (a non-empty list)")
        return self


class LocationTypeSpec(_Selection):
    kind: Literal["location_type"]
    include: Annotated[list[LocationType], Field(max_length=10)] | None = None
    exclude: Annotated[list[LocationType], Field(max_length=10)] | None = None


class LocationGroupSpec(_Selection):
    kind: Literal["location_group"]
    include: Annotated[list[Label], Field(max_length=1000)] | None = None
    exclude: Annotated[list[Label], Field(max_length=1000)] | None = None


class StockSpec(Spec):
    kind: Literal["stock"]
    mode: Literal["whole", "line", "partial"] = "line"


# -- criteria: ranking -------------------------------------------------------------------------


class DistanceSpec(Spec):
    kind: Literal["distance"]
    bands_km: Annotated[list[Km], Field(min_length=1, max_length=100)] | None = None

    @field_validator("bands_km")
    @classmethod
    def _increasing(cls, bands: list[float] | None) -> list[float] | None:
        if bands and any(a >= b for a, b in itertools.pairwise(bands)):
            raise ValueError("bands must be in increasing order")
        return bands


class PrioritySpec(Spec):
    kind: Literal["priority"]


class StockCoverageSpec(Spec):
    kind: Literal["stock_coverage"]


class ShippingCostSpec(Spec):
    kind: Literal["shipping_cost"]
    # location code -> country (or "*" for any other) -> cost
    rates: Annotated[
        dict[LocationCode, Annotated[dict[RateCountry, Cost], Field(min_length=1)]],
        Field(min_length=1, max_length=10_000, json_schema_extra={"additionalProperties": False}),
    ]


# -- criteria: allocation ----------------------------------------------------------------------


class FewestShipmentsSpec(Spec):
    kind: Literal["fewest_shipments"]


class MaxSplitsSpec(Spec):
    kind: Literal["max_splits"]
    max: Annotated[int, Strict(), Field(ge=1, le=1000)]


class KeepGroupsTogetherSpec(Spec):
    kind: Literal["keep_groups_together"]


class MinShipmentValueSpec(Spec):
    kind: Literal["min_shipment_value"]
    amount: Amount


def _untagged(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Report a criterion's problems at its own path (`criteria.2.km`), not under the
    union's tag (`criteria.2.max_distance.km`), and an unknown kind at `kind`."""
    try:
        return handler(value)
    except ValidationError as error:
        tag = value.get("kind") if isinstance(value, dict) else None
        details = []
        for detail in error.errors():
            loc = detail["loc"]
            if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = ("kind",)
            elif loc and loc[0] == tag:
                loc = loc[1:]
            details.append({"type": detail["type"], "loc": loc, "input": detail["input"],
                            **({"ctx": detail["ctx"]} if "ctx" in detail else {})})  # fmt: skip
        raise ValidationError.from_exception_data(error.title, details) from None  # type: ignore[arg-type]


CriterionSpec = Annotated[
    ChannelSpec | CapacitySpec | MaxDistanceSpec | LocationTypeSpec | LocationGroupSpec
    | StockSpec | DistanceSpec | PrioritySpec | StockCoverageSpec | ShippingCostSpec
    | FewestShipmentsSpec | MaxSplitsSpec | KeepGroupsTogetherSpec | MinShipmentValueSpec,
    Field(discriminator="kind"),
    WrapValidator(_untagged),
]  # fmt: skip


# -- strategies ----------------------------------------------------------------------------------


class StrategySpec(Spec):
    name: Label | None = None  # default: its place, "strategies.0"
    when: ConditionsSpec = Field(default_factory=ConditionsSpec)
    criteria: Annotated[list[CriterionSpec], Field(max_length=50)] = []
    fallback: Fallback = Fallback.EXCEPTION
    # true: an order whose address has no point (no coordinates sent, city not found) is
    # not sourced by distance guesses; every line takes the fallback, with the reason.
    # Absent means false, and stays absent in a stored version (older versions read the same).
    require_located: Annotated[bool, Strict()] | None = None


class RuleSetSpec(Spec):
    """A routing rule set: the first strategy whose `when` matches an order applies."""

    strategies: Annotated[list[StrategySpec], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _named(self) -> RuleSetSpec:
        for n, strategy in enumerate(self.strategies):
            if strategy.name is None:
                strategy.name = f"strategies.{n}"
        return self
