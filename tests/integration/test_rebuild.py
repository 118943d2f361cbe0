"""Rebuilding a view fills a shadow beside the live one and swaps it in: readers never see
it emptier than before, and a rebuild that fails leaves the live view as it was."""

from __future__ import annotations

import threading

import pytest

from api.bootstrap import Container, bootstrap
from tests.bad_events import insert_tampered_order, without_lines
from tests.builders import NOW, an_order


def orders_listed(dom: Container) -> int:
    return int(dom.store.query("SELECT COUNT(*) AS n FROM order_status")[0]["n"])


def place(dom: Container, count: int) -> None:
    for _ in range(count):
        dom.orders.place_order(an_order(lines=2), NOW)
    dom.runtime.catch_up_all()


def test_a_rebuild_equals_what_the_live_view_showed(dom):
    place(dom, 20)
    before = dom.store.query("SELECT * FROM order_status ORDER BY order_id")
    assert dom.runtime.rebuild_all()["order_status"] == 60  # placed, released, dated, each
    assert dom.store.query("SELECT * FROM order_status ORDER BY order_id") == before
    place(dom, 1)  # the live follower goes on from the swapped-in position
    assert orders_listed(dom) == 21


def test_readers_never_see_the_view_emptier_during_a_rebuild(durable_store):
    dom = bootstrap(durable_store)
    try:
        place(dom, 150)
        seen: list[int] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                seen.append(orders_listed(dom))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            dom.runtime.rebuild_all()
        finally:
            stop.set()
            reader.join()
        assert seen and min(seen) == 150
    finally:
        dom.close()


def test_orders_placed_during_a_rebuild_are_in_the_swapped_view(durable_store):
    dom = bootstrap(durable_store)
    other = bootstrap(durable_store)  # another process taking orders meanwhile
    try:
        place(dom, 30)
        follower = dom.runtime.followers["order_status"]
        original = follower._select
        placed: list[str] = []

        def select_and_meanwhile_place(position, limit):
            found = original(position, limit)
            if not placed:
                placed.append(str(other.orders.place_order(an_order(), NOW).order.id))
            return found

        follower._select = select_and_meanwhile_place  # type: ignore[method-assign]
        dom.runtime.rebuild_all()
        listed = {row["order_id"] for row in dom.store.query("SELECT order_id FROM order_status")}
        assert len(listed) == 31 and placed[0] in listed
    finally:
        other.close()
        dom.close()


def test_a_rebuild_that_meets_a_bad_event_keeps_the_live_view_and_names_the_event(dom):
    place(dom, 5)
    _, position = insert_tampered_order(dom, without_lines)
    dom.runtime.catch_up_all()  # the live view stalls on it, and keeps its 5 orders
    outcome = dom.runtime.rebuild_all()
    assert isinstance(outcome["order_status"], str)
    assert (
        f"notification {position}" in outcome["order_status"] and "lines" in outcome["order_status"]
    )
    assert orders_listed(dom) == 5
    assert isinstance(outcome["availability"], int)  # the other views were rebuilt


@pytest.mark.parametrize("name", ["order_status", "routing", "availability"])
def test_a_rebuild_leaves_no_shadow_behind(dom, name):
    place(dom, 3)
    dom.runtime.followers[name].rebuild()
    if dom.store.dialect == "postgres":
        assert (
            dom.store.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild%'") == []
        )
