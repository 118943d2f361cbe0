"""Routing rules as data: strategies with conditions, ordered criteria and a fallback.

A rule set is plain JSON (API body, CLI file, simulation file). One strict
schema (`RuleSetSpec`, pydantic) decides what is a rule set, for every way
in: unknown keys at any level, numbers that are not finite, booleans or
strings for numbers, negative amounts, unknown countries, location types or
channels, control characters are refused with the path of each problem
(`rules.strategies.0.criteria.2.km`). So a rule set that could never be
applied is refused when drafted, not when an order arrives.

A version stores the normalised form (`normalise_rules`): exactly what
sourcing will read back, defaults filled in. Sourcing reads the frozen
objects that `parse_rules` builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from domain.errors import FieldProblem, InvalidCommand
from domain.fulfilment.routing_schema import ConditionsSpec, CriterionSpec, RuleSetSpec
from domain.fulfilment.routing_schema import Fallback as Fallback  # sourcing imports it from here

EXCLUDERS = {"max_distance", "location_type", "location_group", "channel", "capacity", "stock"}
RANKERS = {"distance", "priority", "shipping_cost", "stock_coverage"}
ALLOCATION = {"fewest_shipments", "max_splits", "keep_groups_together", "min_shipment_value"}
KINDS = EXCLUDERS | RANKERS | ALLOCATION
STOCK_MODES = {"whole", "line", "partial"}


@dataclass(frozen=True)
class Criterion:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True)
class Conditions:
    channels: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    service_levels: frozenset[str] = frozenset()
    min_priority: int | None = None
    tags: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Strategy:
    name: str
    conditions: Conditions
    criteria: tuple[Criterion, ...]
    fallback: Fallback
    require_located: bool = False  # an order without a point is not sourced by it


@dataclass(frozen=True)
class RuleSet:
    strategies: tuple[Strategy, ...]


def parse_rules(data: Any) -> RuleSet:
    """Check a rule set against the schema and build the objects sourcing reads.

    Raises InvalidCommand naming every problem by its path under `rules`."""
    return _frozen(validated(data))


def normalise_rules(data: Any) -> dict[str, Any]:
    """The checked rule set as the JSON a version stores: defaults filled in, amounts as
    decimal strings, location codes in upper case; parsing it again gives the same."""
    return validated(data).model_dump(mode="json", exclude_none=True)


def validated(data: Any) -> RuleSetSpec:
    try:
        return RuleSetSpec.model_validate(data)
    except ValidationError as error:
        raise InvalidCommand([_problem(detail) for detail in error.errors()]) from None


def _problem(detail: Any) -> FieldProblem:
    path = ".".join(["rules", *(str(part) for part in detail["loc"])])
    message = "unknown field" if detail["type"] == "extra_forbidden" else detail["msg"]
    return FieldProblem(path, message)


def _frozen(spec: RuleSetSpec) -> RuleSet:
    return RuleSet(
        tuple(
            Strategy(
                name=strategy.name or "",
                conditions=_conditions(strategy.when),
                criteria=tuple(_criterion(c) for c in strategy.criteria),
                fallback=strategy.fallback,
                require_located=bool(strategy.require_located),
            )
            for strategy in spec.strategies
        )
    )


def _criterion(spec: CriterionSpec) -> Criterion:
    params = spec.model_dump(mode="json", exclude_none=True)
    return Criterion(params.pop("kind"), params)


def _conditions(when: ConditionsSpec) -> Conditions:
    def values(found: list[str] | None) -> frozenset[str]:
        return frozenset(found or ())

    return Conditions(
        channels=values(when.channels),
        countries=values(when.countries),
        regions=values(when.regions),
        min_value=when.min_value,
        max_value=when.max_value,
        service_levels=values(when.service_levels),
        min_priority=when.min_priority,
        tags=values(when.tags),
        skus=values(when.skus),
    )
