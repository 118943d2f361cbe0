"""A policy that cannot react to an event parks it and goes on; later events about the same
subject wait behind it; a retry reacts to them in order once the cause is fixed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from api.demo import load_network
from domain.errors import NotFound
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.orders.order import Order
from domain.orders.placement import Line, PlaceOrder
from projections.parked import parked_items
from projections.routing import exception_queue
from tests.bad_events import insert_tampered_order, without_lines
from tests.builders import NOW, an_order


def sourcable(channel_order_id: str) -> PlaceOrder:
    """An order of a SKU the demo network has in stock."""
    line = Line("1", "TEE-BLK-M", 1, "19.90")
    return replace(an_order(channel_order_id=channel_order_id), lines=(line,), total="24.85")


def parked(dom) -> list[dict]:
    return [item for item in exception_queue(dom.store) if item["kind"] == "parked"]


def test_a_policy_parks_what_it_cannot_react_to_and_goes_on(dom):
    load_network(dom, NOW)
    bad, _ = insert_tampered_order(dom, without_lines)
    good = dom.orders.place_order(sourcable("GOOD-1"), NOW)
    dom.runtime.catch_up_all()

    [entry] = parked(dom)
    assert entry["policy"] == "fulfilment_policy" and entry["subject"] == str(bad)
    assert entry["events"] == 2  # Placed failed; Released about the same order waits behind it
    assert "KeyError" in entry["reason"] and entry["actions"][0]["href"].endswith("/retry")
    # one order's own parked reactions (its detail shows them)
    assert parked_items(dom.store, str(bad)) == [entry]
    assert parked_items(dom.store, str(good.order.id)) == []
    sourced = dom.fulfilment.find(FulfilmentOrder, good.order.id)
    assert sourced is not None and sourced.decisions == 1  # the next order was sourced
    assert dom.orders.get_order(good.order.id).status.value == "allocated"


def test_a_retry_that_fails_again_is_recorded_and_a_fixed_one_resolves_in_order(dom, monkeypatch):
    load_network(dom, NOW)
    bad, _ = insert_tampered_order(dom, without_lines)
    dom.runtime.catch_up_all()
    policy = dom.runtime.policy("fulfilment_policy")
    assert policy is not None

    error = policy.retry_parked(str(bad))
    dom.runtime.catch_up_all()
    assert error is not None and "KeyError" in error
    [entry] = parked(dom)
    assert entry["retries"] == 1 and entry["events"] == 2

    original = FulfilmentOrder.from_placement

    def fixed(order_id, placed):  # the fix: an order that lost its lines has none to ship
        return original(order_id, {"lines": [], **placed})

    monkeypatch.setattr(FulfilmentOrder, "from_placement", staticmethod(fixed))
    assert policy.retry_parked(str(bad)) is None
    dom.runtime.catch_up_all()
    assert parked(dom) == []
    order = dom.fulfilment.find(FulfilmentOrder, bad)
    assert order is not None and order.released  # Placed, then Released, in order
    with pytest.raises(NotFound):
        policy.retry_parked(str(bad))


def test_events_after_a_parked_one_are_held_back_not_applied_out_of_order(dom):
    bad, _ = insert_tampered_order(dom, without_lines)
    dom.runtime.catch_up_all()
    cancelled = dom.orders.mapper.to_stored_event(  # a later event about the same subject
        Order.Cancelled(
            originator_id=bad,
            originator_version=3,
            timestamp=NOW,
            line_ids=["1"],
            reason="customer",
            at=NOW,
        )
    )
    dom.orders.recorder.insert_events([cancelled])
    dom.runtime.catch_up_all()
    [entry] = parked(dom)
    assert entry["events"] == 3
    assert dom.fulfilment.find(FulfilmentOrder, bad) is None
