"""Sourcing an order for real: candidates from the aggregates, the engine's decision,
then reservations, shipment requests and workload, all returned to be saved together."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.fulfilment.fulfilment_order import FulfilmentOrder, FulfilmentStatus
from domain.fulfilment.location import Location, location_id_for
from domain.fulfilment.network import (
    DIRECTORY_ID,
    UNDECIDED_ID,
    Backorders,
    DailyWorkload,
    LocationDirectory,
    Undecided,
    backorders_id_for,
    workload_id_for,
)
from domain.fulfilment.promising import dates
from domain.fulfilment.routing_policy import RoutingPolicy, policy_id_for
from domain.fulfilment.shipment import Shipment, shipment_id_for
from domain.fulfilment.sourcing import Candidate, Network, OrderToSource, source
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.processing import Unit

DEFAULT_POLICY = "default"


def source_order(unit: Unit, order: FulfilmentOrder, now: datetime) -> None:
    """Decide where the order's open lines ship from and act on it."""
    was_undecided = order.undecided
    _decide(unit, order, now)
    track_undecided(unit, order, was_undecided)


def _decide(unit: Unit, order: FulfilmentOrder, now: datetime) -> None:
    wanted = order.to_source()
    policy = unit.get(RoutingPolicy, policy_id_for(DEFAULT_POLICY))
    if policy is None or policy.active_version is None:
        numbered = {"attempt": order.decisions + 1, "at": now.isoformat(),
                    "destination": wanted.destination()} | dates(unit, order, [], now)  # fmt: skip
        order.record_decision(_no_policy(wanted) | numbered, now)
        return
    version, rules = policy.rules()
    candidates, seen = _candidates(unit, wanted, now, set(order.excluded))
    decision = source(wanted, Network(candidates), rules, version, now)
    attempt = order.decisions + 1
    shipments = request_shipments(unit, order, decision.plan, attempt, now)
    record = (
        decision.as_record()
        | {
            "attempt": attempt,
            "at": now.isoformat(),
            "shipments": shipments,
            "stock_seen": seen,
            "destination": wanted.destination(),
        }
        | dates(unit, order, sorted(order.allocated.keys() | decision.plan.keys()), now)
    )
    record["candidates"] += [_rejected_earlier(code) for code in sorted(order.excluded)]
    order.record_decision(record, now)
    settle_backorders(unit, order, set(decision.unfilled))


def request_shipments(
    unit: Unit,
    order: FulfilmentOrder,
    plan: dict[str, dict[str, int]],
    attempt: int,
    now: datetime,
) -> dict[str, str]:
    """Reserve a plan's stock (InsufficientStock when a location lacks it), count the
    workload and request a shipment at each location; returns location -> shipment id."""
    order_id, skus = str(order.id), order.skus()
    for location, lines in plan.items():
        for sku in {skus[line_id] for line_id in lines}:
            item = unit.get(StockItem, stock_item_id_for(location, sku)) or StockItem(
                location_code=location, sku=sku
            )
            wanted = {lid: q for lid, q in lines.items() if skus[lid] == sku}
            item.reserve(order_id, wanted, top_up=True)
        _workload(unit, location, now).take()
        shipment = Shipment(order_id=order_id, location=location, lines=lines,
                            skus={lid: skus[lid] for lid in lines}, attempt=attempt, at=now)  # fmt: skip
        unit.touched[shipment.id] = shipment
    return {location: str(shipment_id_for(order_id, location, attempt)) for location in plan}


def settle_backorders(unit: Unit, order: FulfilmentOrder, unfilled: set[str]) -> None:
    """After a decision: the order waits on the SKUs of its backordered lines, and on none
    once every line has a location."""
    skus = order.skus()
    if order.status is FulfilmentStatus.BACKORDERED:
        for sku in {skus[line_id] for line_id in unfilled}:
            _backorders(unit, sku).wait(str(order.id))
    if not unfilled:
        for sku in set(skus.values()):
            waiting = unit.get(Backorders, backorders_id_for(sku))
            if waiting is not None:
                waiting.done(str(order.id))


def track_undecided(unit: Unit, order: FulfilmentOrder, was_undecided: bool) -> None:
    """Keep the list of orders waiting for a person in step with the order. An order
    waiting since before the list existed joins it with its next decision."""
    if order.undecided:
        found = unit.get(Undecided, UNDECIDED_ID, Undecided)
        assert found is not None
        found.add(str(order.id))
    elif was_undecided:
        listed = unit.get(Undecided, UNDECIDED_ID)
        if listed is not None:
            listed.remove(str(order.id))


def cancel_shipped_lines(
    unit: Unit, order: FulfilmentOrder, line_ids: list[str], reason: str, now: datetime
) -> None:
    """Cancelled lines leave their requested shipments; an emptied shipment frees its workload."""
    for location, shipment_ids in order.shipments.items():
        for shipment_id in shipment_ids:
            shipment = unit.get(Shipment, UUID(shipment_id))
            cancelled = shipment is not None and shipment.cancel_lines(line_ids, reason, now)
            if cancelled and shipment is not None and shipment.status == "cancelled":
                _workload(unit, location, now).give_back()


def release_lines(
    unit: Unit,
    order_id: str,
    freed: dict[str, dict[str, int]],
    skus: dict[str, str],
    now: datetime,
) -> None:
    """Give back the reservations of lines that will not ship from where they were allocated."""
    for location, lines in freed.items():
        for sku in {skus[line_id] for line_id in lines}:
            item = unit.get(StockItem, stock_item_id_for(location, sku))
            if item is not None:
                item.give_back(
                    order_id, {lid: q for lid, q in lines.items() if skus[lid] == sku}, now
                )


def _candidates(
    unit: Unit, order: OrderToSource, now: datetime, excluded: set[str]
) -> tuple[list[Candidate], dict[str, dict[str, int]]]:
    """The locations that may ship, and the version of every stock item read (sku ->
    location -> version): what the decision saw, so that the backorder policy can
    tell a stock change this decision already took into account from a later one."""
    directory = unit.get(LocationDirectory, DIRECTORY_ID)
    seen: dict[str, dict[str, int]] = {}
    if directory is None:
        return [], seen
    candidates = []
    skus = {line.sku for line in order.lines}
    for code in directory.codes:
        location = unit.get(Location, location_id_for(code))
        if location is None or not location.active or code in excluded:
            continue
        p = location.profile
        stock = {}
        for sku in skus:
            item = unit.get(StockItem, stock_item_id_for(code, sku))
            stock[sku] = max(item.available, 0) if item is not None else 0
            if item is not None:
                seen.setdefault(sku, {})[code] = item.version
        workload = unit.get(DailyWorkload, workload_id_for(code, now.date()))
        candidates.append(Candidate(
            code=code, type=p["type"], latitude=p["latitude"], longitude=p["longitude"], stock=stock,
            channels=frozenset(p["channels"]), groups=frozenset(p.get("groups", [])),
            priority=p["priority"], daily_capacity=p["daily_capacity"],
            orders_today=workload.shipments if workload is not None else 0,
            pickup="pickup" in p["capabilities"],
        ))  # fmt: skip
    return candidates, seen


def _workload(unit: Unit, location: str, now: datetime) -> DailyWorkload:
    day = now.date().isoformat()
    found = unit.get(DailyWorkload, workload_id_for(location, now.date()),
                     lambda: DailyWorkload(location=location, day=day))  # fmt: skip
    assert found is not None
    return found


def _backorders(unit: Unit, sku: str) -> Backorders:
    found = unit.get(Backorders, backorders_id_for(sku), lambda: Backorders(sku=sku))
    assert found is not None
    return found


def _rejected_earlier(code: str) -> dict[str, Any]:
    """A location left out because it rejected this order's shipment before: it is no
    candidate any more, and the explanation says so rather than leave it out silently."""
    verdict = {"criterion": "rejected_earlier", "passed": False, "value": None, "unit": ""}
    return {"location": code, "excluded": True, "rank": None, "allocated": {},
            "verdicts": [verdict]}  # fmt: skip


def _no_policy(order: OrderToSource) -> dict[str, Any]:
    return {
        "policy_version": None, "strategy": None, "plan": {},
        "unfilled": {line.line_id: line.quantity for line in order.lines},
        "fallback": "exception", "reason": f"no active routing policy {DEFAULT_POLICY!r}",
        "candidates": [],
    }  # fmt: skip


def reject_shipment(unit: Unit, shipment: Shipment, reason: str, now: datetime) -> None:
    """A location cannot ship: free what it held and source those lines elsewhere."""
    if not shipment.reject(reason, now):
        return
    release_lines(unit, shipment.order_id, {shipment.location: shipment.lines}, shipment.skus, now)
    _workload(unit, shipment.location, now).give_back()
    order = unit.get(FulfilmentOrder, UUID(shipment.order_id))
    if order is not None:
        order.exclude(shipment.location, shipment.lines, reason, now)
        source_order(unit, order, now)
