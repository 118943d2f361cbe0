"""Backorders are sourced again by the times events carry, whatever the library's clocks say.

The library stamps every event with the clock of the process that records it;
freezegun moves that clock far into the past or the future, as a process with
a skewed clock would. The backorder policy must neither skip a backorder nor
date a decision by those stamps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from freezegun import freeze_time

from api.bootstrap import Container
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.orders.placement import Line
from tests.builders import NOW, an_order
from tests.stock_builders import a_location

WHOLE_OR_WAIT = {"strategies": [{"name": "any with stock", "criteria": [{"kind": "stock", "mode": "whole"}],
                                 "fallback": "backorder"}]}  # fmt: skip
RELEASED_AT = NOW - timedelta(hours=3)
ARRIVED_AT = NOW - timedelta(hours=1)
LONG_AGO, FAR_AHEAD = "2001-02-03 04:05:06", "2099-02-03 04:05:06"


def backordered(dom: Container, quantity: int = 1, on_hand: int = 0, held: int = 0) -> UUID:
    """One location short of stock (`held` of `on_hand` reserved by another order), and
    an order for `quantity` of SKU-1 released at RELEASED_AT and waiting for it."""
    before = RELEASED_AT - timedelta(hours=1)
    dom.fulfilment.define_location(a_location("WH1"), before)
    dom.fulfilment.count_stock([StockCount("WH1", "SKU-1", on_hand, before)], before)
    if held:
        dom.fulfilment.reserve("WH1", "SKU-1", "other", {"1": held})
    dom.fulfilment.draft_policy("default", WHOLE_OR_WAIT, "", before)
    dom.fulfilment.activate_policy("default", 1, before)
    order = replace(
        an_order(placed_at=RELEASED_AT - timedelta(minutes=1)),
        lines=(Line("1", "SKU-1", quantity, "10.00"),),
        total=str(quantity * Decimal("10.00") + Decimal("4.95")),
    )
    order_id = dom.orders.place_order(order, RELEASED_AT).order.id
    dom.runtime.catch_up_all()
    [decision] = decisions(dom, order_id)
    assert decision["fallback"] == "backorder" and decision["plan"] == {}
    return order_id


def decisions(dom: Container, order_id: UUID) -> list[dict[str, Any]]:
    return [
        event.decision | {"at": event.at}
        for event in dom.fulfilment.events.get(order_id)
        if isinstance(event, FulfilmentOrder.Sourced)
    ]


def receive(dom: Container, quantity: int, reference: str, at: datetime = ARRIVED_AT) -> None:
    dom.fulfilment.move_stock("WH1", "SKU-1", Movement.RECEIVED, quantity, "", reference, at)


def test_stock_recorded_by_a_clock_far_behind_still_sources_the_backorder(dom: Container):
    order_id = backordered(dom)
    with freeze_time(LONG_AGO, tick=True):  # stamped long before the backorder was decided
        receive(dom, 5, "PO-1")
    dom.runtime.catch_up_all()
    last = decisions(dom, order_id)[-1]
    assert last["plan"] == {"WH1": {"1": 1}}
    assert last["at"] == ARRIVED_AT


def test_stock_recorded_by_a_clock_far_ahead_is_reacted_to_at_its_own_time(dom: Container):
    order_id = backordered(dom)
    with freeze_time(FAR_AHEAD, tick=True):
        receive(dom, 5, "PO-1")
    dom.runtime.catch_up_all()
    [_, sourced] = decisions(dom, order_id)
    assert sourced["at"] == ARRIVED_AT and sourced["plan"] == {"WH1": {"1": 1}}
    [shipment_id] = sourced["shipments"].values()
    [requested] = dom.fulfilment.events.get(UUID(shipment_id))
    assert requested.at == ARRIVED_AT


def test_a_change_the_last_decision_already_saw_is_not_decided_again(dom: Container):
    order_id = backordered(dom, quantity=5)
    receive(dom, 1, "PO-1")
    receive(dom, 1, "PO-2", ARRIVED_AT + timedelta(minutes=1))
    backorders = dom.runtime.policy("backorder_policy")
    assert backorders is not None
    with freeze_time(LONG_AGO, tick=True):  # its decision is stamped before both receipts
        backorders.catch_up()
    # The first receipt is decided on with both seen (still too little); the second changes nothing.
    [_, again] = decisions(dom, order_id)
    assert again["fallback"] == "backorder" and again["at"] == ARRIVED_AT
    seen = dom.fulfilment.stock_item("WH1", "SKU-1").version  # both receipts
    assert again["stock_seen"] == {"SKU-1": {"WH1": seen}}


def test_a_later_change_is_decided_on_again(dom: Container):
    order_id = backordered(dom, quantity=3)
    receive(dom, 1, "PO-1")
    dom.runtime.catch_up_all()
    receive(dom, 2, "PO-2", ARRIVED_AT + timedelta(minutes=5))
    dom.runtime.catch_up_all()
    [_, short, filled] = decisions(dom, order_id)
    assert short["fallback"] == "backorder" and short["at"] == ARRIVED_AT
    assert filled["plan"] == {"WH1": {"1": 3}} and filled["at"] == ARRIVED_AT + timedelta(minutes=5)


@pytest.mark.parametrize("clock", [LONG_AGO, FAR_AHEAD])
def test_a_stored_version_1_release_is_read_and_reacted_to_without_a_clock(
    dom: Container, clock: str
):
    """A ReservationsReleased recorded before it carried its time: read with `at` None,
    and the backorder it frees is sourced at the latest time the order's history records."""
    order_id = backordered(dom, quantity=2, on_hand=2, held=2)
    item_id = stock_item_id_for("WH1", "SKU-1")
    with freeze_time(clock, tick=True):
        store_version_1_release(dom, item_id)
    dom.runtime.catch_up_all()
    released = [e for e in dom.fulfilment.events.get(item_id)
                if isinstance(e, StockItem.ReservationsReleased)]  # fmt: skip
    assert [e.at for e in released] == [None]
    assert dom.fulfilment.stock_item_by_id(item_id).reservations == {f"{order_id}/1": 2}
    last = decisions(dom, order_id)[-1]
    assert last["plan"] == {"WH1": {"1": 2}} and last["at"] == RELEASED_AT


def store_version_1_release(dom: Container, item_id: UUID) -> None:
    """Record a release as version 1 wrote it: no `at`, no class version."""
    item = dom.fulfilment.stock_item_by_id(item_id)
    item.release("other", None, NOW)
    [event] = item.collect_events()
    stored = dom.fulfilment.mapper.to_stored_event(event)
    state = dom.fulfilment.mapper.transcoder.decode(stored.state)
    del state["at"], state["class_version"]
    stored = stored.__class__(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=dom.fulfilment.mapper.transcoder.encode(state),
    )  # fmt: skip
    dom.fulfilment.recorder.insert_events([stored])


def test_an_order_keeps_the_time_it_started_waiting_through_failed_retries(dom: Container):
    """Each failed retry reset `since`, so an order waiting for days looked new."""
    from projections.routing import exception_queue

    order_id = backordered(dom, quantity=5)
    [waiting] = exception_queue(dom.store)
    first = waiting["since"]
    dom.fulfilment.move_stock("WH1", "SKU-1", Movement.RECEIVED, 2, "", "PO-1", ARRIVED_AT)
    dom.runtime.catch_up_all()
    assert len(decisions(dom, order_id)) == 2  # tried again, still short
    [still] = exception_queue(dom.store)
    assert still["order_id"] == str(order_id) and still["since"] == first
    dom.fulfilment.move_stock("WH1", "SKU-1", Movement.RECEIVED, 3, "", "PO-2", NOW)
    dom.runtime.catch_up_all()
    assert exception_queue(dom.store) == []


def test_a_decision_numbered_by_its_version_does_not_stop_the_routing_view(dom: Container):
    """Decisions without an attempt (no active policy, before they carried one) are numbered
    by their event's version; a later attempt with that number replaced nothing and stalled
    the view. The later one is kept, and decisions read back in the order they were made."""
    from uuid import uuid4

    from projections.routing import RoutingProjection, routing_of

    order_id = uuid4()

    def sourced(version: int, decision: dict[str, Any], at: datetime) -> Any:
        return FulfilmentOrder.Sourced(originator_id=order_id, originator_version=version,
                                       timestamp=at, decision=decision, at=at)  # fmt: skip

    legacy = {"plan": {}, "unfilled": {"1": 1}, "fallback": "exception", "strategy": None}
    events = [
        sourced(3, legacy, RELEASED_AT),
        sourced(4, legacy | {"attempt": 2}, ARRIVED_AT),
        sourced(5, legacy | {"attempt": 3, "fallback": None, "unfilled": {}}, NOW),
    ]
    with dom.store.transaction() as sql:
        RoutingProjection().apply(sql, events)
    assert [d.get("attempt") for d in routing_of(dom.store, str(order_id))] == [2, 3]
