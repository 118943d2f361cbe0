"""A shipment with the carrier: news late, twice and out of order ends in the right status,
terminal statuses are never undone, every update is kept in carrier time order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import Conflict, InvalidCommand, InvalidTransition
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.tracking import CarrierUpdate, TrackingNumber, leads
from domain.orders.order import LineState, Order, OrderStatus
from tests.builders import NOW, an_order

DISPATCHED_AT = NOW + timedelta(hours=1)


def news(status: str, hours: float, **more: object) -> CarrierUpdate:
    """The carrier's news, its time counted in hours from dispatch."""
    return CarrierUpdate(status, DISPATCHED_AT + timedelta(hours=hours), **more)  # type: ignore[arg-type]


def a_shipment(dispatched: bool = True) -> Shipment:
    shipment = Shipment(order_id="o-1", location="WH1", lines={"1": 2}, skus={"1": "SKU-1"},
                        attempt=1, at=NOW)  # fmt: skip
    shipment.accept(NOW)
    if dispatched:
        shipment.pick({"1": 2}, NOW)
        shipment.pack([{"weight_grams": 1}], NOW)
        shipment.dispatch("bpost", "standard", "BP-1", DISPATCHED_AT)
    shipment.collect_events()
    return shipment


def rebuilt(shipment: Shipment, events: list[object]) -> Shipment:
    copy = a_shipment()
    for each in events:
        copy = each.mutate(copy)  # type: ignore[attr-defined]
    return copy


def carrier_history(shipment: Shipment) -> list[tuple[str, str]]:
    return [(h["status"], h["at"]) for h in shipment.history if h.get("source") == "carrier"]


LATER = NOW + timedelta(days=3)


def test_news_in_order_moves_the_status_and_keeps_the_delivery_time():
    shipment = a_shipment()
    for update in (news("in_transit", 1), news("out_for_delivery", 20), news("delivered", 22)):
        assert shipment.track(update, LATER)
    assert shipment.status == "delivered"
    assert shipment.delivered_at == DISPATCHED_AT + timedelta(hours=22)
    assert [h["status"] for h in shipment.history][-3:] == [
        "in_transit", "out_for_delivery", "delivered"]  # fmt: skip


def test_news_out_of_order_ends_right_and_is_kept_in_carrier_time_order():
    shipment = a_shipment()
    shipment.track(news("delivered", 22), LATER)
    shipment.track(news("in_transit", 1), LATER)  # late, earlier: kept, status stays
    shipment.track(news("out_for_delivery", 20), LATER)
    assert shipment.status == "delivered"
    assert [status for status, _ in carrier_history(shipment)] == [
        "in_transit", "out_for_delivery", "delivered"]  # fmt: skip
    events = shipment.collect_events()
    assert [e.became for e in events] == ["delivered", None, None]  # type: ignore[attr-defined]
    again = rebuilt(shipment, events)
    assert again.status == "delivered" and again.history == shipment.history


def test_a_terminal_status_is_never_undone_even_by_later_news():
    for terminal in ("delivered", "returned_to_sender", "lost"):
        shipment = a_shipment()
        shipment.track(news(terminal, 5), LATER)
        assert shipment.track(news("in_transit", 30), LATER)  # recorded, in the history
        assert shipment.track(news("delivered", 31), LATER)
        assert shipment.status == terminal
        assert len(carrier_history(shipment)) == 3


def test_a_duplicate_changes_nothing_by_event_id_or_by_content():
    shipment = a_shipment()
    assert shipment.track(news("in_transit", 1, event_id="E1"), LATER)
    assert not shipment.track(news("in_transit", 1, event_id="E1"), LATER)
    assert not shipment.track(news("out_for_delivery", 2, event_id="E1"), LATER)  # the id is its
    assert shipment.track(news("out_for_delivery", 2), LATER)
    assert not shipment.track(news("out_for_delivery", 2), LATER)
    assert shipment.track(news("out_for_delivery", 3), LATER)  # another scan: kept
    assert len(shipment.collect_events()) == 3 and len(carrier_history(shipment)) == 3


def test_among_open_statuses_the_latest_carrier_time_leads_and_rank_breaks_a_tie():
    shipment = a_shipment()
    shipment.track(news("out_for_delivery", 10), LATER)
    shipment.track(news("in_transit", 5), LATER)  # older news: no
    assert shipment.status == "out_for_delivery"
    shipment.track(news("delivery_failed", 12, reason="nobody home", attempt=1), LATER)
    shipment.track(news("out_for_delivery", 12), LATER)  # same time, lower rank: no
    assert shipment.status == "delivery_failed"
    shipment.track(news("out_for_delivery", 30, attempt=2), LATER)  # the second attempt
    assert shipment.status == "out_for_delivery"
    failed = [h for h in shipment.history if h["status"] == "delivery_failed"]
    assert failed[0]["reason"] == "nobody home" and failed[0]["attempt"] == "1"


def test_the_first_carrier_news_leads_over_dispatch_even_with_a_clock_behind_ours():
    shipment = a_shipment()
    shipment.track(news("in_transit", -0.01), LATER)
    assert shipment.status == "in_transit"
    assert leads("dispatched", None, news("in_transit", -5))


def test_news_of_a_shipment_not_dispatched_is_refused_and_records_nothing():
    shipment = a_shipment(dispatched=False)
    with pytest.raises(InvalidTransition):
        shipment.track(news("in_transit", 1), LATER)
    assert shipment.collect_events() == [] and shipment.status == "accepted"


def test_news_from_the_future_or_with_a_bad_attempt_is_refused():
    shipment = a_shipment()
    with pytest.raises(InvalidCommand) as refused:
        shipment.track(news("in_transit", 1), DISPATCHED_AT)
    assert refused.value.problems[0].field == "at"
    with pytest.raises(InvalidCommand):
        shipment.track(news("delivery_failed", 1, attempt=0), LATER)
    with pytest.raises(InvalidCommand):
        shipment.track(news("teleported", 1), LATER)
    assert shipment.collect_events() == []


def test_only_a_lost_or_returned_shipment_is_reshipped_once_or_resolved():
    shipment = a_shipment()
    with pytest.raises(InvalidTransition):
        shipment.reship(LATER)
    shipment.track(news("lost", 40), LATER)
    assert shipment.resolve("insurer pays", LATER)
    assert not shipment.resolve("insurer pays", LATER)
    assert shipment.reship(LATER) and not shipment.reship(LATER)
    with pytest.raises(Conflict):
        shipment.resolve("another note", LATER)


def test_a_tracking_number_belongs_to_one_shipment():
    number = TrackingNumber(carrier="bpost", tracking_number="BP-1", shipment_id="s-1")
    number.check_for("s-1")
    with pytest.raises(Conflict):
        number.check_for("s-2")


def shipped_order() -> Order:
    order = Order.place(an_order(lines=2), NOW)  # line 1: 1 unit, line 2: 2 units
    order.allocate("WH1", {"1": 1, "2": 2}, NOW)
    order.ship("s-1", "WH1", {"1": 1}, {"carrier": "bpost"}, NOW)
    order.ship("s-2", "WH1", {"2": 2}, {"carrier": "bpost"}, NOW)
    return order


def test_an_order_is_delivered_when_every_live_line_is_delivered_in_full():
    order = shipped_order()
    assert order.track_shipment("s-1", "delivered", LATER)
    assert order.line_states["1"] is LineState.DELIVERED and order.status is OrderStatus.SHIPPED
    assert not order.track_shipment("s-1", "delivered", LATER)
    assert not order.track_shipment("unknown", "delivered", LATER)
    order.track_shipment("s-2", "in_transit", LATER)
    order.track_shipment("s-2", "delivered", LATER)
    assert order.status is OrderStatus.DELIVERED and order.delivered == {"1": 1, "2": 2}
    assert order.shipments["s-2"]["delivered_at"] == LATER.isoformat()


def test_a_lost_shipment_s_lines_are_no_longer_shipped():
    order = shipped_order()
    order.track_shipment("s-1", "delivered", LATER)
    assert order.track_shipment("s-2", "lost", LATER)
    assert order.line_states["2"] is LineState.ALLOCATED and "2" not in order.shipped
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert not order.track_shipment("s-2", "delivered", LATER)  # after its end: nothing
    assert order.cancel("lost in transit", LATER, ["2"])  # now cancellable
    assert order.status is OrderStatus.DELIVERED
