"""The demo's past week: orders placed over the last days and carried through the
warehouse to the customer, each with its own fate, so that a new user sees every status,
a non-trivial On Time In Full table and warnings in the exception queue.

Each step happens at its own time in the past (never after `now`), through the same
commands the API calls. Orders already there (an earlier run) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from api.bootstrap import Container
from api.clock import tick
from api.locating import locate_order
from domain.errors import Conflict
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.tracking import CarrierUpdate
from domain.orders.channel import ChannelDefinition
from domain.orders.placement import PlaceOrder

PARCEL = {"weight_grams": 900, "length_mm": 300, "width_mm": 220, "height_mm": 120}
# What becomes of each order of the week, in turn: the carrier's news after dispatch.
FATES = ("on_time", "on_time", "late_dispatch", "on_time", "failed_once", "lost",
         "on_time", "not_dispatched", "late_delivery", "returned")  # fmt: skip
CHANNELS = [
    ChannelDefinition("webshop", "Web shop", "webshop", "Europe/Brussels",
                      {"standard": {"handling_days": 1, "transit_days": 2},
                       "express": {"handling_days": 0, "transit_days": 1}}, "standard", 4, 30),
    ChannelDefinition("marketplace", "Marketplace", "marketplace", "Europe/Brussels",
                      {"standard": {"handling_days": 1, "transit_days": 3}}, "standard", 6, 30),
]  # fmt: skip


def load_history(dom: Container, orders: list[PlaceOrder], now: datetime) -> tuple[int, int]:
    """Configure the channels, then place `orders` (each at its placed_at) and carry each
    through its fate; returns (placed now, already there)."""
    for channel in CHANNELS:
        dom.orders.define_channel(channel, now, None)
    placed = existing = 0
    for n, command in enumerate(orders):
        try:
            placement = dom.orders.place_order(locate_order(command), command.placed_at)
        except Conflict:  # placed by an earlier run, on another day
            existing += 1
            continue
        if not placement.created:
            existing += 1
            continue
        placed += 1
        dom.runtime.catch_up_all()
        for shipment_id in _shipments(dom, placement.order.id):
            _carry(dom, shipment_id, FATES[n % len(FATES)], n, now)
    dom.runtime.catch_up_all()
    tick(dom, now)  # warnings for what is late or at risk, completions
    return placed, existing


def week_of_orders(recent: list[PlaceOrder], now: datetime) -> list[PlaceOrder]:
    """The demo's orders again, placed over the last eight days, and one of six weeks ago
    (delivered and past its return window: completed)."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = [
        replace(command, channel_order_id=f"DEMO-W{n:02d}",
                placed_at=start - timedelta(days=8 - n // 2, hours=-(9 + 4 * (n % 2))))
        for n, command in enumerate(recent + recent[:4])
    ]  # fmt: skip
    old = replace(recent[0], channel_order_id="DEMO-OLD", placed_at=start - timedelta(days=42))
    return [old, *week]


def _shipments(dom: Container, order_id: UUID) -> Iterator[UUID]:
    order = dom.fulfilment.find(FulfilmentOrder, order_id)
    if order is not None:
        for ids in order.shipments.values():
            yield from (UUID(shipment_id) for shipment_id in ids)


def _carry(dom: Container, shipment_id: UUID, fate: str, n: int, now: datetime) -> None:
    shipment = dom.fulfilment.find(Shipment, shipment_id)
    order = dom.fulfilment.find(FulfilmentOrder, UUID(shipment.order_id)) if shipment else None
    if shipment is None or order is None or order.promise is None:
        return
    ship_by = datetime.fromisoformat(order.promise["ship_by"])
    deliver_by = datetime.fromisoformat(order.promise["deliver_by"])
    start = shipment.requested_at + timedelta(minutes=30)
    if fate == "not_dispatched":
        _at(now, start, lambda t: dom.fulfilment.accept_shipment(shipment_id, t))
        return
    on_time = max(start + timedelta(hours=1, minutes=30), ship_by - timedelta(hours=6))
    out = ship_by + timedelta(hours=20) if fate == "late_dispatch" else on_time
    if out > now:
        return
    dom.fulfilment.accept_shipment(shipment_id, start)
    dom.fulfilment.pick_shipment(shipment_id, dict(shipment.lines), start + timedelta(minutes=30))
    dom.fulfilment.pack_shipment(shipment_id, [PARCEL], start + timedelta(hours=1))
    number = f"DEMO{n:06d}BE"
    dom.fulfilment.dispatch_shipment(shipment_id, "bpost", "standard", number, out)
    dom.runtime.catch_up_all()
    for update in _news(fate, out, deliver_by, n):
        if update.at <= now:
            dom.fulfilment.track_shipments("bpost", [(number, update)], update.at)


def _news(fate: str, out: datetime, deliver_by: datetime, n: int) -> list[CarrierUpdate]:
    hour = timedelta(hours=1)
    news = [CarrierUpdate("in_transit", out + 3 * hour, f"demo-{n}-1", place="Brussels X")]
    due = max(deliver_by - 6 * hour, out + 8 * hour)
    if fate == "failed_once":
        news.append(CarrierUpdate("delivery_failed", due - 24 * hour, f"demo-{n}-2",
                                  reason="nobody home", attempt=1))  # fmt: skip
    if fate == "lost":
        return [*news, CarrierUpdate("lost", out + 30 * hour, f"demo-{n}-3")]
    if fate == "returned":
        return [*news, CarrierUpdate("returned_to_sender", out + 48 * hour, f"demo-{n}-3",
                                     reason="refused by the addressee")]  # fmt: skip
    news.append(CarrierUpdate("out_for_delivery", due - 3 * hour, f"demo-{n}-4"))
    late = fate == "late_delivery"
    news.append(CarrierUpdate("delivered", deliver_by + 30 * hour if late else due, f"demo-{n}-5"))
    return news


def _at(now: datetime, moment: datetime, step: Callable[[datetime], object]) -> None:
    if moment <= now:
        step(moment)
