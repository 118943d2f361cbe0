"""`dom simulate`: replay a period's released orders against a draft routing policy.

The live stores are only read. An in-memory dom is seeded with the network as
it stood when the period began (locations, stock on hand, what was already
reserved), then the period's order releases and stock movements are replayed
in time order, sourced by the draft policy through the same policies and
engine as production. The same measures are taken from what really happened.

Events are placed in time by the business times they carry, never by the
library's recording stamps: those say when some process wrote the event, by
its own clock, and in the simulation that is today. So the replayed commands
and every decision they lead to (backorders sourced again included) are
dated within the period, as they happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from domain.errors import NotFound
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.location import Location, profile_of
from domain.fulfilment.routing_rules import normalise_rules
from domain.fulfilment.sourcing import great_circle_km
from domain.fulfilment.stock_item import StockItem
from domain.orders.order import Order
from domain.orders.placement import Address, Customer, Line, Located, PlaceOrder

MOVES = {"Received": Movement.RECEIVED, "Adjusted": Movement.ADJUSTED, "Damaged": Movement.DAMAGED}


@dataclass
class Outcome:
    """What happened to the period's orders under one policy."""

    decisions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # order -> decisions
    shipments: list[tuple[str, str, str]] = field(default_factory=list)  # (order, location, day)


@dataclass
class Report:
    orders: int
    measures: list[tuple[str, str, str]]  # (measure, actual, simulated)
    differences: list[str]
    simulated: Outcome  # every simulated decision and shipment, for a closer look


def simulate(live: Container, rules: dict[str, Any], start: datetime, end: datetime) -> Report:
    rules = normalise_rules(rules)  # checked, and read below as sourcing applies it
    sim = bootstrap(Settings(memory=True))
    try:
        profiles, stock, timeline = _read_history(live, start, end)
        _seed(sim, profiles, stock, start)
        sim.fulfilment.draft_policy("default", rules, "simulation", start)
        sim.fulfilment.activate_policy("default", 1, start)
        released = _replay(sim, live, timeline)
        actual = _outcome(live, released, end)
        simulated = _outcome(sim, released, end)
        return _report(live, profiles, rules, released, actual, simulated)
    finally:
        sim.close()


def _read_history(live: Container, start: datetime, end: datetime) -> tuple[
    dict[str, dict[str, Any]], dict[UUID, StockItem], list[tuple[datetime, str, Any]]
]:  # fmt: skip
    """Locations and stock as of `start`, then the period's releases and movements in time order."""
    profiles: dict[str, dict[str, Any]] = {}
    items: dict[UUID, StockItem] = {}
    timeline: list[tuple[datetime, str, Any]] = []
    for at, event in _dated(_events(live.fulfilment)):
        if isinstance(event, Location.Registered | Location.Changed) and event.at < end:
            if isinstance(event, Location.Registered):
                code, changes = event.profile["code"], event.profile
            else:
                code, changes = _code_of(live, event.originator_id), event.changes
            profiles[code] = {**profiles.get(code, {}), **changes}
        elif isinstance(event, StockItem.Created | StockItem.Event):
            if isinstance(event, StockItem.Created) or at is None or at < start:
                items[event.originator_id] = cast(
                    StockItem, event.mutate(items.get(event.originator_id))
                )
            elif at < end and type(event).__name__ in {"Counted", *MOVES}:
                timeline.append((at, "stock", event))
    for event in _events(live.orders):
        if isinstance(event, Order.Released) and start <= event.at < end:
            timeline.append((event.at, "release", event))
    timeline.sort(key=lambda entry: entry[0])
    return profiles, items, timeline


def _seed(
    sim: Container,
    profiles: dict[str, dict[str, Any]],
    items: dict[UUID, StockItem],
    start: datetime,
) -> None:
    before = start - timedelta(seconds=1)
    for record in profiles.values():
        sim.fulfilment.define_location(profile_of(record), before)
    # Stock of a location registered after the period did not exist in it.
    items = {key: i for key, i in items.items() if i.location_code in profiles}
    counts = [
        StockCount(i.location_code, i.sku, i.on_hand, before, i.safety_stock)
        for i in items.values()
    ]
    if counts:
        sim.fulfilment.count_stock(counts, before)
    for item in items.values():
        if item.reserved:  # held by orders released before the period
            sim.fulfilment.reserve(
                item.location_code, item.sku, "before-period", {"held": item.reserved}
            )


def _replay(
    sim: Container, live: Container, timeline: list[tuple[datetime, str, Any]]
) -> list[str]:
    released = []
    for at, kind, event in timeline:
        if kind == "release":
            order = live.orders.get_order(event.originator_id)
            sim.orders.place_order(_command(order.placement), at)
            released.append(str(order.id))
        else:
            item = live.fulfilment.stock_item_by_id(event.originator_id)
            name = type(event).__name__
            if name == "Counted":
                sim.fulfilment.count_stock(
                    [StockCount(item.location_code, item.sku, event.quantity, event.counted_at)], at
                )
            elif quantity := _as_it_went(sim, item, name, event):
                sim.fulfilment.move_stock(item.location_code, item.sku, MOVES[name], quantity,
                                          getattr(event, "reason", ""), event.reference, at)  # fmt: skip
        sim.runtime.catch_up_all()
    return released


def _as_it_went(sim: Container, item: StockItem, name: str, event: Any) -> int:
    """The movement's quantity, as far as the simulated stock can take it. Live, a count
    recorded late is placed in time under movements recorded before it, so a damage can be
    more than the simulated item holds when replayed in business time; live, on hand then
    stopped at zero, and so does the simulation (0: nothing to move)."""
    quantity: int = event.delta if name == "Adjusted" else event.quantity
    if name == "Received" or (name == "Adjusted" and quantity > 0):
        return quantity
    try:
        on_hand = sim.fulfilment.stock_item(item.location_code, item.sku).on_hand
    except NotFound:
        on_hand = 0
    return max(quantity, -on_hand) if name == "Adjusted" else min(quantity, on_hand)


def _outcome(dom: Container, order_ids: list[str], end: datetime) -> Outcome:
    outcome = Outcome()
    for order_id in order_ids:
        history = _history(dom, FulfilmentOrder.create_id({"order_id": order_id}), end)
        outcome.decisions[order_id] = [
            e.decision for e in history if isinstance(e, FulfilmentOrder.Sourced)
        ]
        for decision in outcome.decisions[order_id]:
            for location, shipment_id in decision.get("shipments", {}).items():
                shipment = _history(dom, UUID(shipment_id), end)
                if shipment and not any(type(e).__name__ == "Rejected" for e in shipment):
                    requested: datetime = shipment[0].at
                    outcome.shipments.append((order_id, location, requested.date().isoformat()))
    return outcome


def _report(live: Container, profiles: dict[str, dict[str, Any]], rules: dict[str, Any], orders: list[str],
            actual: Outcome, simulated: Outcome) -> Report:  # fmt: skip
    placements = {order_id: live.orders.get_order(UUID(order_id)).placement for order_id in orders}
    rates = _rates(rules)
    sides = (actual, simulated)
    figures: dict[str, list[str]] = {
        "fill rate": [_pct(_fill(o, placements)) for o in sides],
        "split rate": [_pct(_splits(o)) for o in sides],
        "mean distance (km)": [_num(_distance(o, placements, profiles)) for o in sides],
        "shipping cost": [_num(_cost(o, placements, rates)) if rates else "n/a" for o in sides],
        "capacity breaches": [str(_breaches(o, profiles)) for o in sides],
        "orders backordered": [str(_backordered(o)) for o in sides],
    }
    measures = [(name, values[0], values[1]) for name, values in figures.items()]
    differences = []
    for order_id in orders:
        real, sim = actual.decisions[order_id], simulated.decisions[order_id]
        real_plan, sim_plan = (real[0]["plan"] if real else {}), (sim[0]["plan"] if sim else {})
        if real_plan != sim_plan and sim:
            differences.append(_explain(order_id, real_plan, sim[0]))
    return Report(len(orders), measures, differences, simulated)


def _explain(order_id: str, real_plan: dict[str, Any], decision: dict[str, Any]) -> str:
    chosen = ", ".join(decision["plan"]) or f"nothing ({decision.get('fallback')})"
    lines = [f"order {order_id}: really {', '.join(real_plan) or 'nothing'}; simulated {chosen}"
             f" (strategy {decision.get('strategy')!r})"]  # fmt: skip
    for candidate in decision.get("candidates", []):
        if candidate["location"] in real_plan or candidate["location"] in decision["plan"]:
            failed = [v["criterion"] for v in candidate["verdicts"] if v["passed"] is False]
            scores = [
                f"{v['criterion']}={v['value']}"
                for v in candidate["verdicts"]
                if v["passed"] is None
            ]
            fate = f"excluded by {', '.join(failed)}" if failed else f"rank {candidate['rank']}"
            lines.append(f"    {candidate['location']}: {fate}; {' '.join(scores)}")
    return "\n".join(lines)


# --- measures ---------------------------------------------------------------------------


def _fill(o: Outcome, placements: dict[str, dict[str, Any]]) -> float:
    ordered = sum(line["quantity"] for p in placements.values() for line in p["lines"])
    shipped = sum(
        q
        for ds in o.decisions.values()
        for d in ds
        for lines in d["plan"].values()
        for q in lines.values()
    )
    return shipped / ordered if ordered else 0.0


def _splits(o: Outcome) -> float:
    per_order = Counter(order_id for order_id, _, _ in o.shipments)
    return sum(1 for n in per_order.values() if n > 1) / len(per_order) if per_order else 0.0


def _distance(
    o: Outcome, placements: dict[str, dict[str, Any]], profiles: dict[str, dict[str, Any]]
) -> float | None:
    km = []
    for order_id, location, _ in o.shipments:
        placed = placements[order_id]
        point = placed.get("destination") or placed["shipping_address"]
        if "latitude" in point and location in profiles:
            p = profiles[location]
            km.append(
                great_circle_km(
                    point["latitude"], point["longitude"], p["latitude"], p["longitude"]
                )
            )
    return sum(km) / len(km) if km else None


def _rates(rules: dict[str, Any]) -> dict[str, Any]:
    for strategy in rules.get("strategies", []):
        for criterion in strategy.get("criteria", []):
            if criterion.get("kind") == "shipping_cost":
                return dict(criterion.get("rates", {}))
    return {}


def _cost(o: Outcome, placements: dict[str, dict[str, Any]], rates: dict[str, Any]) -> float:
    total = Decimal(0)
    for order_id, location, _ in o.shipments:
        table = rates.get(location, {})
        rate = table.get(placements[order_id]["shipping_address"]["country"], table.get("*", 0))
        total += Decimal(str(rate))
    return float(total)


def _breaches(o: Outcome, profiles: dict[str, dict[str, Any]]) -> int:
    per_day = Counter((location, day) for _, location, day in o.shipments)
    return sum(1 for (location, _), n in per_day.items()
               if profiles.get(location, {}).get("daily_capacity", 0) and n > profiles[location]["daily_capacity"])  # fmt: skip


def _backordered(o: Outcome) -> int:
    return sum(
        1 for ds in o.decisions.values() if any(d.get("fallback") == "backorder" for d in ds)
    )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# --- reading the live stores ------------------------------------------------------------


def _events(app: Any) -> Any:
    position = 0
    while notifications := app.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    ):
        for notification in notifications:
            yield app.mapper.to_domain_event(notification)
        position = notifications[-1].id


def _history(dom: Container, aggregate_id: UUID, end: datetime) -> list[Any]:
    events = dom.fulfilment.events.get(aggregate_id)
    return [event for at, event in _dated(events) if at is None or at < end]


def _dated(events: Iterable[Any]) -> Iterator[tuple[datetime | None, Any]]:
    """Each event with its business time: its own (`counted_at` or `at`), or for one that
    carries none (a creation, a reservation, a version 1 release) the latest time carried
    before it in the same log, which is in commit order, so it happened no earlier. None
    until a time is known: such an event comes before everything dated."""
    latest: datetime | None = None
    for event in events:
        own: datetime | None = getattr(event, "counted_at", None) or getattr(event, "at", None)
        if own is not None:
            latest = own if latest is None else max(latest, own)
        yield own or latest, event


def _code_of(live: Container, location_id: UUID) -> str:
    return str(live.fulfilment.repository.get(location_id).code)


def _command(placement: dict[str, Any]) -> PlaceOrder:
    p = placement
    return PlaceOrder(
        channel=p["channel"], channel_order_id=p["channel_order_id"], placed_at=p["placed_at"],
        currency=p["currency"], customer=Customer(**p["customer"]),
        shipping_address=Address(**p["shipping_address"]),
        lines=tuple(Line(**line) for line in p["lines"]), shipping_price=p["shipping_price"],
        discount_total=p["discount_total"], total=p["total"], service_level=p.get("service_level"),
        tags=tuple(p.get("tags", ())), pickup_location=p.get("pickup_location"),
        priority=p.get("priority"), located=_located(p.get("destination")),
    )  # fmt: skip


def _located(destination: dict[str, Any] | None) -> Located | None:
    """The point the live order was found at by city: the replay sources to the same place,
    whatever today's gazetteer says."""
    if not destination or destination["located_by"].get("method") != "city":
        return None
    return Located(destination["latitude"], destination["longitude"], destination["located_by"])
