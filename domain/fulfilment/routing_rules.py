"""Routing rules as data: strategies with conditions, ordered criteria and a fallback.

A rule set is plain JSON (API or file), parsed here into frozen objects and
checked, so that a policy that cannot be applied is refused when drafted,
not when an order arrives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.errors import Problems


class Fallback(StrEnum):
    BACKORDER = "backorder"
    EXCEPTION = "exception"
    CANCEL = "cancel_unfillable"


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


@dataclass(frozen=True)
class RuleSet:
    strategies: tuple[Strategy, ...]


def parse_rules(data: Any) -> RuleSet:
    """Parse and check a rule set; raise InvalidCommand naming every problem."""
    problems = Problems()
    strategies = []
    if not isinstance(data, dict) or not isinstance(data.get("strategies"), list):
        problems.add("strategies", 'a rule set is {"strategies": [...]}')
        problems.raise_if_any()
    if not data["strategies"]:
        problems.add("strategies", "at least one strategy")
    for n, raw in enumerate(data["strategies"]):
        strategies.append(_strategy(raw, f"strategies.{n}", problems))
    problems.raise_if_any()
    return RuleSet(tuple(strategies))


def _strategy(raw: Any, where: str, problems: Problems) -> Strategy:
    if not isinstance(raw, dict):
        problems.add(where, "a strategy is an object")
        return Strategy("", Conditions(), (), Fallback.EXCEPTION)
    criteria = []
    raw_criteria = raw.get("criteria", [])
    if not isinstance(raw_criteria, list):
        problems.add(f"{where}.criteria", "a list of criteria")
        raw_criteria = []
    for n, item in enumerate(raw_criteria):
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in KINDS:
            problems.add(
                f"{where}.criteria.{n}.kind", f"unknown criterion {kind!r}; one of {sorted(KINDS)}"
            )
            continue
        params = {k: v for k, v in item.items() if k != "kind"}
        _check_params(kind, params, f"{where}.criteria.{n}", problems)
        criteria.append(Criterion(kind, params))
    try:
        fallback = Fallback(raw.get("fallback", "exception"))
    except ValueError:
        problems.add(f"{where}.fallback", f"one of {[f.value for f in Fallback]}")
        fallback = Fallback.EXCEPTION
    return Strategy(str(raw.get("name", where)), _conditions(raw.get("when", {}), where, problems),
                    tuple(criteria), fallback)  # fmt: skip


def _conditions(raw: Any, where: str, problems: Problems) -> Conditions:
    if not isinstance(raw, dict):
        problems.add(f"{where}.when", "conditions are an object")
        raw = {}

    def values(key: str) -> frozenset[str]:
        found = raw.get(key, [])
        if not isinstance(found, list):
            problems.add(f"{where}.when.{key}", "a list")
            return frozenset()
        return frozenset(str(v) for v in found)

    min_priority = raw.get("min_priority")
    if min_priority is not None and (
        not isinstance(min_priority, int) or isinstance(min_priority, bool)
    ):
        problems.add(f"{where}.when.min_priority", "a whole number")
        min_priority = None

    return Conditions(
        channels=values("channels"),
        countries=values("countries"),
        regions=values("regions"),
        min_value=_decimal(raw.get("min_value"), f"{where}.when.min_value", problems),
        max_value=_decimal(raw.get("max_value"), f"{where}.when.max_value", problems),
        service_levels=values("service_levels"),
        min_priority=min_priority,
        tags=values("tags"),
        skus=values("skus"),
    )


def _check_params(kind: str, params: dict[str, Any], where: str, problems: Problems) -> None:
    if kind == "max_distance" and not _positive(params.get("km")):
        problems.add(f"{where}.km", "a positive number of kilometres")
    if kind == "stock" and params.get("mode", "line") not in STOCK_MODES:
        problems.add(f"{where}.mode", f"one of {sorted(STOCK_MODES)}")
    if kind == "max_splits" and not (isinstance(params.get("max"), int) and params["max"] >= 1):
        problems.add(f"{where}.max", "a whole number >= 1")
    if kind in ("location_type", "location_group"):
        if not (params.get("include") or params.get("exclude")):
            problems.add(where, "give include or exclude")
        for key in ("include", "exclude"):
            names = params.get(key, [])
            if not (isinstance(names, list) and all(isinstance(v, str) for v in names)):
                problems.add(f"{where}.{key}", "a list of names")
    if kind == "min_shipment_value":
        _decimal(params.get("amount"), f"{where}.amount", problems, required=True)
    if kind == "shipping_cost" and not _rate_table(params.get("rates")):
        problems.add(f"{where}.rates", "{location: {country or '*': cost}} with numeric costs")
    if kind == "distance":
        bands = params.get("bands_km", [])
        if not isinstance(bands, list) or not all(_positive(b) for b in bands):
            problems.add(f"{where}.bands_km", "positive kilometres")
        elif any(a >= b for a, b in itertools.pairwise(bands)):
            problems.add(f"{where}.bands_km", "in increasing order")


def _rate_table(rates: Any) -> bool:
    return isinstance(rates, dict) and all(
        isinstance(table, dict) and all(_positive(cost) or cost == 0 for cost in table.values())
        for table in rates.values()
    )


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0


def _decimal(value: Any, where: str, problems: Problems, required: bool = False) -> Decimal | None:
    if value is None:
        if required:
            problems.add(where, "required")
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        problems.add(where, "a decimal number")
        return None
