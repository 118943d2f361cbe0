"""The sourcing engine: where each order ships from, and why. Pure: no I/O, no clock.

Given the order, the candidate network (locations with availability and
workload), a rule set and its version, it picks the first strategy whose
conditions match, excludes and ranks every candidate by the strategy's
criteria, allocates the lines, and keeps each criterion's finding for every
candidate so the decision can be explained.

The network is held as columns (numpy arrays, one per attribute and one per
SKU), so one criterion is one array operation over all locations: the cost
grows with locations x lines, with a small constant. Explanations are
rendered from those columns only when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.fulfilment.routing_rules import (
    EXCLUDERS,
    RANKERS,
    Criterion,
    Fallback,
    RuleSet,
    Strategy,
)

EARTH_RADIUS_KM = 6371.0088
NOT_LOCATED = (
    "unknown: the shipping address could not be located "
    "(no coordinates were sent and its city was not found)"
)
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LineToSource:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    group: str | None = None  # lines of one kit share a group


@dataclass(frozen=True)
class OrderToSource:
    order_id: str
    channel: str
    country: str
    lines: tuple[LineToSource, ...]
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    service_level: str | None = None
    priority: int = 0
    tags: frozenset[str] = frozenset()
    pickup_location: str | None = None  # click & collect
    # How the point was found: {"method": "given" | "city" | "unknown", ...}
    located_by: Mapping[str, Any] = field(default_factory=lambda: {"method": "unknown"})

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def destination(self) -> dict[str, Any]:
        """The point the order ships to and how it was found, as the decision records it."""
        point = {"latitude": self.latitude, "longitude": self.longitude} if self.located else {}
        return point | {"located_by": dict(self.located_by)}

    @property
    def value(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))

    @cached_property
    def by_sku(self) -> dict[str, list[int]]:
        """The quantity of each line, grouped by SKU (computed once per order)."""
        by_sku: dict[str, list[int]] = {}
        for line in self.lines:
            by_sku.setdefault(line.sku, []).append(line.quantity)
        return by_sku

    def wanted(self) -> dict[str, int]:
        """Units per SKU: several lines of one SKU are summed."""
        return {sku: sum(quantities) for sku, quantities in self.by_sku.items()}


@dataclass(frozen=True)
class Candidate:
    code: str
    type: str
    latitude: float
    longitude: float
    stock: Mapping[str, int]  # sku -> available units
    channels: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    priority: int = 100
    daily_capacity: int = 0  # 0: no limit
    orders_today: int = 0
    pickup: bool = False


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean Earth radius."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return float(2 * EARTH_RADIUS_KM * np.arcsin(min(1.0, float(np.sqrt(a)))))


class Network:
    """Candidates as columns; build once per stock snapshot, source many orders against it."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.codes = [c.code for c in self.candidates]
        self.size = len(self.candidates)
        self.position = {code: n for n, code in enumerate(self.codes)}
        self.lat = np.radians(np.array([c.latitude for c in self.candidates], dtype=float))
        self.lon = np.radians(np.array([c.longitude for c in self.candidates], dtype=float))
        self.priority = np.array([c.priority for c in self.candidates], dtype=float)
        self.capacity = np.array([c.daily_capacity for c in self.candidates], dtype=float)
        self.load = np.array([c.orders_today for c in self.candidates], dtype=float)
        self.pickup = np.array([c.pickup for c in self.candidates], dtype=bool)
        self.code_order = np.argsort(np.argsort(np.array(self.codes, dtype=object))).astype(float)
        self._stock: dict[str, npt.NDArray[np.int64]] = {}
        for n, c in enumerate(self.candidates):
            for sku, units in c.stock.items():
                if sku not in self._stock:
                    self._stock[sku] = np.zeros(self.size, dtype=np.int64)
                self._stock[sku][n] = units
        self._none = np.zeros(self.size, dtype=np.int64)
        self.nan = np.full(self.size, np.nan)
        self._by_value: dict[tuple[str, str], Bools] = {}

    def stock(self, sku: str) -> npt.NDArray[np.int64]:
        return self._stock.get(sku, self._none)

    def having(self, attribute: str, value: str) -> Bools:
        """Which candidates have `value` among their channels, groups, or as their type."""
        key = (attribute, value)
        if key not in self._by_value:
            if attribute == "type":
                found = [c.type == value for c in self.candidates]
            else:
                found = [value in getattr(c, attribute) for c in self.candidates]
            self._by_value[key] = np.array(found, dtype=bool)
        return self._by_value[key]

    def distances_km(self, latitude: float, longitude: float) -> Floats:
        lat, lon = np.radians(latitude), np.radians(longitude)
        a = (
            np.sin((self.lat - lat) / 2) ** 2
            + np.cos(lat) * np.cos(self.lat) * np.sin((self.lon - lon) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass
class Finding:
    """One criterion over the whole network: who passed (excluders) or the scores (rankers)."""

    kind: str
    passed: Bools | None
    values: Floats
    unit: str


@dataclass
class Decision:
    policy_version: int
    strategy: str | None
    plan: dict[str, dict[str, int]]  # location -> line id -> quantity
    unfilled: dict[str, int]  # line id -> quantity nobody can ship
    fallback: Fallback | None
    network: Network
    findings: list[Finding] = field(default_factory=list)
    ranked: list[int] = field(default_factory=list)  # candidate positions, best first
    # Why a ranked location ships nothing when the allocation criteria left it out; "*":
    # every ranked location not named (one reason, not one string per location).
    left_out: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # why nothing could be sourced, when the strategy says

    @property
    def ranks(self) -> dict[int, int]:
        return {n: rank for rank, n in enumerate(self.ranked, start=1)}

    def explain(self, code: str) -> dict[str, Any]:
        """Why one location won or lost: each criterion's verdict or score, its rank, its lines."""
        n = self.network.position[code]
        rank = self.ranked.index(n) + 1 if n in self.ranked else None
        verdicts = [
            {"criterion": f.kind,
             "passed": None if f.passed is None else bool(f.passed[n]),
             "value": None if np.isnan(f.values[n]) else round(float(f.values[n]), 3),
             "unit": f.unit}
            for f in self.findings
        ]  # fmt: skip
        for verdict in verdicts:
            if verdict["unit"] == "km" and verdict["value"] is None:
                verdict["unknown"] = NOT_LOCATED
        excluded = any(v["passed"] is False for v in verdicts) or self.strategy is None
        allocated = self.plan.get(code, {})
        explained = {"location": code, "excluded": excluded, "rank": rank,
                     "allocated": allocated, "verdicts": verdicts}  # fmt: skip
        if rank is not None and not allocated:
            explained["allocation"] = (
                self.left_out.get(code)
                or self.left_out.get("*")
                or (
                    "not needed: every line was placed at a location ranked higher"
                    if not self.unfilled
                    else "cannot ship the lines left from its stock"
                )
            )
        return explained

    def as_record(self) -> dict[str, Any]:
        record = {
            "policy_version": self.policy_version,
            "strategy": self.strategy,
            "plan": self.plan,
            "unfilled": self.unfilled,
            "fallback": self.fallback.value if self.fallback else None,
            "candidates": [self.explain(code) for code in self.network.codes],
        }
        small = sorted(r for r in self.left_out.values() if r.startswith("min_shipment_value"))
        if self.reason:
            record["reason"] = self.reason
        elif self.unfilled and small:
            record["reason"] = "; ".join(small)
        return record


def source(
    order: OrderToSource, network: Network, rules: RuleSet, version: int, now: datetime
) -> Decision:
    strategy = choose_strategy(order, rules)
    if strategy is None:
        unfilled = {line.line_id: line.quantity for line in order.lines}
        return Decision(version, None, {}, unfilled, Fallback.EXCEPTION, network)
    if strategy.require_located and not order.located:
        return _not_located(order, network, strategy, version)
    run = _Sourcing(order, network)
    findings: list[Finding] = []
    eligible = np.ones(network.size, dtype=bool)
    if order.pickup_location is not None:
        at_store = np.zeros(network.size, dtype=bool)
        if order.pickup_location in network.position:
            at_store[network.position[order.pickup_location]] = True
        passed = at_store & network.pickup
        findings.append(Finding("click_and_collect", passed, network.nan, "collect here"))
        eligible &= passed
    for criterion in strategy.criteria:
        if criterion.kind in EXCLUDERS:
            finding = _exclude(run, criterion)
            findings.append(finding)
            assert finding.passed is not None
            eligible &= finding.passed
    ranked = _rank(run, strategy, eligible, findings)
    left_out: dict[str, str] = {}
    plan, unfilled = allocate(run, ranked, strategy, left_out)
    fallback = strategy.fallback if unfilled else None
    return Decision(
        version, strategy.name, plan, unfilled, fallback, network, findings, ranked, left_out
    )


def _not_located(
    order: OrderToSource, network: Network, strategy: Strategy, version: int
) -> Decision:
    """A strategy that requires a located address, and an order without a point: no location
    passes (each says so), every line waits for the strategy's fallback."""
    unfilled = {line.line_id: line.quantity for line in order.lines}
    refused = Finding("located_address", np.zeros(network.size, dtype=bool), network.nan, "")
    reason = f"strategy {strategy.name!r} requires a located address; {NOT_LOCATED}"
    return Decision(version, strategy.name, {}, unfilled, strategy.fallback, network,
                    [refused], reason=reason)  # fmt: skip


def choose_strategy(order: OrderToSource, rules: RuleSet) -> Strategy | None:
    return next((s for s in rules.strategies if _matches(order, s)), None)


def _matches(order: OrderToSource, strategy: Strategy) -> bool:
    c = strategy.conditions
    value = order.value if c.min_value is not None or c.max_value is not None else Decimal(0)
    return (
        (not c.channels or order.channel in c.channels)
        and (not c.countries or order.country in c.countries)
        and (not c.regions or (order.region or "") in c.regions)
        and (c.min_value is None or value >= c.min_value)
        and (c.max_value is None or value <= c.max_value)
        and (not c.service_levels or (order.service_level or "") in c.service_levels)
        and (c.min_priority is None or order.priority >= c.min_priority)
        and (not c.tags or bool(c.tags & order.tags))
        and (not c.skus or any(line.sku in c.skus for line in order.lines))
    )


@dataclass
class _Sourcing:
    """One order against one network; columns that several criteria use are computed once."""

    order: OrderToSource
    network: Network
    _km: Floats | None = None
    _filled: Floats | None = None
    _whole: Bools | None = None

    def distances(self) -> Floats:
        if self._km is None:
            lat, lon = self.order.latitude, self.order.longitude
            if lat is None or lon is None:
                self._km = self.network.nan
            else:
                self._km = self.network.distances_km(lat, lon)
        return self._km

    def lines_in_stock(self) -> Floats:
        """How many of the order's lines each location can ship at once: the lines of one
        SKU draw on the same units, the smallest counted first."""
        if self._filled is None:
            self._filled = np.zeros(self.network.size)
            for sku, quantities in self.order.by_sku.items():
                stock = self.network.stock(sku)
                if len(quantities) == 1:  # the common case, without the arrays
                    self._filled += stock >= quantities[0]
                else:
                    needed = np.cumsum(sorted(quantities))
                    self._filled += np.searchsorted(needed, stock, side="right")
        return self._filled

    def whole_order(self) -> Bools:
        """Locations that can ship every line (lines of one SKU summed)."""
        if self._whole is None:
            wanted = self.order.wanted().items()
            self._whole = np.logical_and.reduce([self.network.stock(s) >= q for s, q in wanted])
        return self._whole


def _exclude(run: _Sourcing, criterion: Criterion) -> Finding:
    order, network = run.order, run.network
    kind, nan = criterion.kind, network.nan
    if kind == "max_distance":
        km = run.distances()
        # Without the order's coordinates the distance is unknown (NaN): no NaN is <= a
        # limit, so an unknown distance is not a pass.
        return Finding(kind, km <= float(criterion.param("km")), km, "km")
    if kind in ("location_type", "location_group"):
        attribute = "type" if kind == "location_type" else "groups"
        include = [network.having(attribute, v) for v in criterion.param("include", [])]
        exclude = [network.having(attribute, v) for v in criterion.param("exclude", [])]
        passed = np.logical_or.reduce(include) if include else np.ones(network.size, dtype=bool)
        for excluded in exclude:
            passed = passed & ~excluded
        return Finding(kind, passed, nan, "")
    if kind == "channel":
        return Finding(kind, network.having("channels", order.channel).copy(), nan, "")
    if kind == "capacity":
        left = np.where(network.capacity == 0, np.inf, network.capacity - network.load)
        return Finding(kind, left > 0, np.where(np.isinf(left), np.nan, left), "orders left today")
    filled = run.lines_in_stock()
    mode = criterion.param("mode", "line")
    if mode == "whole":
        passed = run.whole_order()
    elif mode == "line":
        passed = filled > 0
    else:
        passed = np.logical_or.reduce([network.stock(line.sku) > 0 for line in order.lines])
    return Finding(kind, np.asarray(passed, dtype=bool), filled, "lines in stock")


def _rank(
    run: _Sourcing, strategy: Strategy, eligible: Bools, findings: list[Finding]
) -> list[int]:
    network = run.network
    keys = []
    for criterion in strategy.criteria:
        if criterion.kind in RANKERS:
            scores, shown, unit = _score(run, criterion)
            findings.append(Finding(criterion.kind, None, shown, unit))
            keys.append(scores)
    candidates = np.flatnonzero(eligible)
    if candidates.size == 0:
        return []
    # lexsort: the last key sorts first; the location code breaks ties.
    columns = [network.code_order[candidates]] + [key[candidates] for key in reversed(keys)]
    return [int(n) for n in candidates[np.lexsort(columns)]]


def _score(run: _Sourcing, criterion: Criterion) -> tuple[Floats, Floats, str]:
    """(sort key, lower is better; value shown in the explanation; its unit)."""
    order, network, kind = run.order, run.network, criterion.kind
    if kind == "distance":
        km = run.distances()
        key = np.where(np.isnan(km), np.inf, km)
        bands = criterion.param("bands_km", [])
        if bands:
            key = np.searchsorted(np.array(bands, dtype=float), key, side="left").astype(float)
        return key, km, "km"
    if kind == "priority":
        return network.priority, network.priority, "priority rank"
    if kind == "shipping_cost":
        rates = criterion.param("rates", {})
        cost = np.array([float(rates.get(code, {}).get(order.country, rates.get(code, {}).get("*", np.inf)))
                         for code in network.codes])  # fmt: skip
        return cost, np.where(np.isinf(cost), np.nan, cost), "cost"
    filled = run.lines_in_stock()
    return -filled, filled, "lines in stock"


def allocate(
    run: _Sourcing, ranked: list[int], strategy: Strategy, left_out: dict[str, str]
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Assign lines to ranked locations under the strategy's allocation criteria; why a
    ranked location was left out by one of them goes into `left_out`."""
    order, network = run.order, run.network
    kinds = {criterion.kind: criterion for criterion in strategy.criteria}
    units = _units(order, "keep_groups_together" in kinds)
    plan: dict[str, dict[str, int]] = {}
    unfilled: dict[str, int] = {}
    if "fewest_shipments" in kinds and ranked:
        whole = run.whole_order()
        first = next((n for n in ranked if whole[n]), None)
        if first is not None:
            chosen = network.codes[first]
            plan = {chosen: {line.line_id: line.quantity for line in order.lines}}
            left_out["*"] = f"fewest_shipments: {chosen} ships the whole order"
    if not plan:
        plan, unfilled = _greedy(run, ranked, kinds, units)
        if "max_splits" in kinds and unfilled:
            limit = kinds["max_splits"].param("max")
            left_out["*"] = (f"max_splits: the order already ships from {len(plan)} "
                             f"location(s), at most {limit + 1}")  # fmt: skip
    if "min_shipment_value" in kinds:
        minimum = Decimal(str(kinds["min_shipment_value"].param("amount")))
        _enforce_minimum(order, minimum, plan, unfilled, left_out)
    return plan, unfilled


def _greedy(run: _Sourcing, ranked: list[int], kinds: dict[str, Criterion],
            units: list[list[LineToSource]]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:  # fmt: skip
    network = run.network
    limit = kinds["max_splits"].param("max") + 1 if "max_splits" in kinds else max(len(ranked), 1)
    stock_mode = kinds["stock"].param("mode", "line") if "stock" in kinds else "line"
    taken: dict[int, dict[str, int]] = {}  # candidate -> sku -> units already allocated there
    plan: dict[str, dict[str, int]] = {}
    unfilled: dict[str, int] = {}
    for unit in units:
        if not _place(unit, network, ranked, taken, plan, limit):
            if stock_mode == "partial" and len(unit) == 1:
                _place_partially(unit[0], network, ranked, taken, plan, limit, unfilled)
            else:
                unfilled.update({line.line_id: line.quantity for line in unit})
    return plan, unfilled


def _units(order: OrderToSource, keep_groups: bool) -> list[list[LineToSource]]:
    if not keep_groups:
        return [[line] for line in order.lines]
    groups: dict[str, list[LineToSource]] = {}
    for line in order.lines:
        groups.setdefault(line.group or f"\x00{line.line_id}", []).append(line)
    return list(groups.values())


def _place(unit: list[LineToSource], network: Network, ranked: list[int], taken: dict[int, dict[str, int]],
           plan: dict[str, dict[str, int]], limit: int) -> bool:  # fmt: skip
    wanted: dict[str, int] = {}
    for line in unit:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    if len(wanted) == 1:
        [(sku, quantity)] = wanted.items()
        fits = network.stock(sku) >= quantity
    else:
        fits = np.logical_and.reduce([network.stock(sku) >= q for sku, q in wanted.items()])
    for n in ranked:
        if not fits[n] or (n not in taken and len(taken) >= limit):
            continue
        already = taken.get(n, {})
        if all(network.stock(sku)[n] - already.get(sku, 0) >= q for sku, q in wanted.items()):
            used = taken.setdefault(n, {})
            for line in unit:
                used[line.sku] = used.get(line.sku, 0) + line.quantity
                plan.setdefault(network.codes[n], {})[line.line_id] = line.quantity
            return True
    return False


def _place_partially(line: LineToSource, network: Network, ranked: list[int],
                     taken: dict[int, dict[str, int]], plan: dict[str, dict[str, int]], limit: int,
                     unfilled: dict[str, int]) -> None:  # fmt: skip
    needed, stock = line.quantity, network.stock(line.sku)
    for n in ranked:
        if needed == 0:
            break
        if n not in taken and len(taken) >= limit:
            continue
        have = int(stock[n]) - taken.get(n, {}).get(line.sku, 0)
        if have > 0:
            take = min(have, needed)
            used = taken.setdefault(n, {})
            used[line.sku] = used.get(line.sku, 0) + take
            plan.setdefault(network.codes[n], {})[line.line_id] = take
            needed -= take
    if needed:
        unfilled[line.line_id] = needed


def _enforce_minimum(order: OrderToSource, minimum: Decimal, plan: dict[str, dict[str, int]],
                     unfilled: dict[str, int], left_out: dict[str, str]) -> None:  # fmt: skip
    """Shipments worth less than the minimum are not sent; their lines stay unfilled."""
    prices = {line.line_id: line.unit_price for line in order.lines}
    values = {code: sum(prices[i] * q for i, q in lines.items()) for code, lines in plan.items()}
    for code in [code for code, value in values.items() if value < minimum]:
        left_out[code] = (f"min_shipment_value: its shipment from {code} ({values[code]}) "
                          f"would be under {minimum}")  # fmt: skip
        for line_id, quantity in plan.pop(code).items():
            unfilled[line_id] = unfilled.get(line_id, 0) + quantity
