"""The order lifecycle on every store: in-memory, SQLite and the real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import UUID

import pytest

from api.bootstrap import Container
from domain.errors import Conflict, InvalidTransition, NotFound
from projections.order_status_queries import OrderFilter, list_orders, order_detail
from tests.builders import NOW, an_order


def place(dom: Container, **kwargs):
    placement = dom.orders.place_order(an_order(**kwargs), NOW)
    dom.runtime.settle("orders", placement.notification_id)
    return placement


def event_count(dom: Container) -> int:
    return dom.orders.recorder.max_notification_id() or 0


def test_placing_an_order_shows_it_in_the_read_model(dom: Container):
    placement = place(dom, lines=2, channel="marketplace")
    assert placement.created
    detail = order_detail(dom.store, str(placement.order.id))
    assert detail is not None
    assert detail["status"] == "released"
    assert [line["state"] for line in detail["lines"]] == ["open", "open"]
    assert [
        item["order_id"]
        for item in list_orders(dom.store, OrderFilter(channel="marketplace"))["items"]
    ] == [str(placement.order.id)]


def test_the_same_order_twice_records_nothing_the_second_time(dom: Container):
    command = an_order(channel_order_id="SAME-1")
    first = dom.orders.place_order(command, NOW)
    before = event_count(dom)
    again = dom.orders.place_order(command, NOW + timedelta(seconds=5))
    assert not again.created and again.order.id == first.order.id
    assert event_count(dom) == before


def test_the_same_channel_order_id_with_other_content_is_a_conflict(dom: Container):
    dom.orders.place_order(an_order(channel_order_id="SAME-2"), NOW)
    before = event_count(dom)
    with pytest.raises(Conflict):
        dom.orders.place_order(an_order(channel_order_id="SAME-2", lines=3), NOW)
    assert event_count(dom) == before


def test_concurrent_identical_placements_create_exactly_one_order(dom: Container):
    command = an_order(channel_order_id="RACE-1")
    results: list[bool] = []
    errors: list[Exception] = []

    def attempt() -> None:
        try:
            results.append(dom.orders.place_order(command, NOW).created)
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert event_count(dom) == 2  # Placed and Released, once


def test_concurrent_different_orders_are_all_recorded(dom: Container):
    commands = [an_order() for _ in range(40)]
    threads = [threading.Thread(target=dom.orders.place_order, args=(c, NOW)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dom.runtime.catch_up_all()
    assert len(list_orders(dom.store, OrderFilter(limit=200))["items"]) == 40
    assert event_count(dom) == 120  # Placed, Released, and Dated by fulfilment


def test_cancel_lines_then_the_rest(dom: Container):
    order_id = place(dom, lines=2).order.id
    position = dom.orders.cancel_order(order_id, "out of stock", NOW, ["1"])
    dom.runtime.settle("orders", position)
    assert order_detail(dom.store, str(order_id))["status"] == "released"
    position = dom.orders.cancel_order(order_id, "customer asked", NOW)
    dom.runtime.settle("orders", position)
    detail = order_detail(dom.store, str(order_id))
    assert detail["status"] == "cancelled"
    assert [line["cancel_reason"] for line in detail["lines"]] == ["out of stock", "customer asked"]
    before = event_count(dom)
    assert dom.orders.cancel_order(order_id, "again", NOW) is None
    assert event_count(dom) == before


def test_hold_and_release_show_in_the_read_model(dom: Container):
    order_id = place(dom).order.id
    dom.runtime.settle("orders", dom.orders.hold_order(order_id, "fraud review", NOW))
    assert order_detail(dom.store, str(order_id))["holds"] == ["fraud review"]
    assert list_orders(dom.store, OrderFilter(status="held"))["items"][0]["order_id"] == str(
        order_id
    )
    dom.runtime.settle("orders", dom.orders.release_order(order_id, NOW))
    assert order_detail(dom.store, str(order_id))["status"] == "released"


def test_cancelled_orders_cannot_be_held(dom: Container):
    order_id = place(dom).order.id
    dom.orders.cancel_order(order_id, "x", NOW)
    with pytest.raises(InvalidTransition):
        dom.orders.hold_order(order_id, "fraud", NOW)


def test_unknown_orders_are_not_found(dom: Container):
    with pytest.raises(NotFound):
        dom.orders.get_order(UUID(int=1))


def test_filters_and_stable_paging(dom: Container):
    for n in range(7):
        place(dom, channel="web" if n % 2 else "shop", placed_at=NOW - timedelta(hours=n),
              email=f"c{n}@example.com", channel_order_id=f"P-{n}")  # fmt: skip
    everything = list_orders(dom.store, OrderFilter(limit=200))["items"]
    assert [item["channel_order_id"] for item in everything] == [f"P-{n}" for n in range(7)]
    seen, cursor = [], None
    while True:
        page = list_orders(dom.store, OrderFilter(limit=3, cursor=cursor))
        seen += [item["channel_order_id"] for item in page["items"]]
        place(dom, placed_at=NOW - timedelta(minutes=1))  # newer orders do not shift later pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P-{n}" for n in range(7)]
    web = list_orders(dom.store, OrderFilter(channel="web", limit=200))["items"]
    assert {item["channel_order_id"] for item in web} == {"P-1", "P-3", "P-5"}
    window = OrderFilter(
        placed_from=NOW - timedelta(hours=3, minutes=30), placed_to=NOW - timedelta(hours=1)
    )
    # placed_from is inclusive, placed_to exclusive: P-1 was placed exactly at placed_to
    assert {i["channel_order_id"] for i in list_orders(dom.store, window)["items"]} == {
        "P-2",
        "P-3",
    }
    assert [
        i["channel_order_id"]
        for i in list_orders(dom.store, OrderFilter(q="C4@example.com"))["items"]
    ] == ["P-4"]
    assert [
        i["channel_order_id"] for i in list_orders(dom.store, OrderFilter(q="P-6"))["items"]
    ] == ["P-6"]


def test_rebuild_from_zero_gives_the_same_read_model(dom: Container):
    ids = [place(dom, lines=2).order.id for _ in range(5)]
    dom.runtime.settle("orders", dom.orders.cancel_order(ids[0], "x", NOW, ["2"]))
    dom.runtime.settle("orders", dom.orders.hold_order(ids[1], "review", NOW))
    before = dom.store.query("SELECT * FROM order_status ORDER BY order_id")
    assert dom.runtime.rebuild_all()["order_status"] == event_count(dom)
    assert dom.store.query("SELECT * FROM order_status ORDER BY order_id") == before
