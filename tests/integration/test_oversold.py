"""Stock that falls under what orders hold reserved: the newest of them are sourced again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

from api.bootstrap import Container
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.orders.placement import Line
from tests.builders import NOW, an_order
from tests.stock_builders import a_location

BY_PRIORITY = {"strategies": [{"name": "first with stock", "criteria": [
    {"kind": "stock", "mode": "whole"}, {"kind": "priority"}], "fallback": "backorder"}]}  # fmt: skip
BEFORE = NOW - timedelta(hours=5)


def two_orders_at_a(dom: Container) -> list[UUID]:
    """A (first by priority) holds 5 units, B 10; two orders of 2 are sourced to A."""
    dom.fulfilment.define_location(a_location("A", priority=1), BEFORE)
    dom.fulfilment.define_location(a_location("B", priority=2), BEFORE)
    dom.fulfilment.count_stock(
        [StockCount("A", "SKU-1", 5, BEFORE), StockCount("B", "SKU-1", 10, BEFORE)], BEFORE
    )
    dom.fulfilment.draft_policy("default", BY_PRIORITY, "", BEFORE)
    dom.fulfilment.activate_policy("default", 1, BEFORE)
    ids = []
    for n in range(2):
        at = BEFORE + timedelta(hours=n + 1)
        order = replace(an_order(channel_order_id=f"OV-{n}", placed_at=at),
                        lines=(Line("1", "SKU-1", 2, "10.00"),), total="24.95")  # fmt: skip
        ids.append(dom.orders.place_order(order, at).order.id)
        dom.runtime.catch_up_all()
    assert [plan(dom, order_id) for order_id in ids] == [{"A": {"1": 2}}] * 2
    return ids


def plan(dom: Container, order_id: UUID) -> dict[str, Any]:
    events = [
        e for e in dom.fulfilment.events.get(order_id) if isinstance(e, FulfilmentOrder.Sourced)
    ]
    return events[-1].decision["plan"]


def test_a_late_count_under_the_reservations_sources_the_newest_order_again(dom: Container):
    older, newer = two_orders_at_a(dom)
    dom.fulfilment.count_stock([StockCount("A", "SKU-1", 3, NOW)], NOW)  # 3 on hand, 4 reserved
    dom.runtime.catch_up_all()
    assert plan(dom, older) == {"A": {"1": 2}}
    assert plan(dom, newer) == {"B": {"1": 2}}
    item = dom.fulfilment.stock_item("A", "SKU-1")
    assert (item.on_hand, item.reserved) == (3, 2)
    [decision] = [e.decision for e in dom.fulfilment.events.get(newer)
                  if isinstance(e, FulfilmentOrder.Sourced)][:1]  # fmt: skip
    shipment = dom.fulfilment.find(Shipment, UUID(decision["shipments"]["A"]))
    assert shipment is not None and shipment.status == "rejected"
    assert (
        shipment.history[-1]["reason"] == "oversold: SKU-1 at A fell to 3 on hand under 4 reserved"
    )


def test_stock_that_still_covers_the_reservations_changes_no_order(dom: Container):
    older, newer = two_orders_at_a(dom)
    dom.fulfilment.move_stock("A", "SKU-1", Movement.DAMAGED, 1, "dropped", "D-1", NOW)
    dom.runtime.catch_up_all()  # 4 on hand, 4 reserved: covered
    assert [plan(dom, order_id) for order_id in (older, newer)] == [{"A": {"1": 2}}] * 2


def test_damage_that_leaves_nothing_sources_both_orders_again(dom: Container):
    older, newer = two_orders_at_a(dom)
    dom.fulfilment.move_stock("A", "SKU-1", Movement.DAMAGED, 5, "flood", "D-2", NOW)
    dom.runtime.catch_up_all()
    assert [plan(dom, order_id) for order_id in (older, newer)] == [{"B": {"1": 2}}] * 2
    assert dom.fulfilment.stock_item("A", "SKU-1").reserved == 0
