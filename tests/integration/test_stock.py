"""Stock levels and reservations on every store; concurrency on the durable ones."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from domain.errors import InsufficientStock, InvalidCommand, NotFound
from domain.fulfilment.application import Movement, StockCount
from domain.fulfilment.stock_item import StockItem
from projections.availability_queries import available_to_promise, inventory
from tests.builders import NOW
from tests.stock_builders import a_location


def settled(dom: Container, position: int | None) -> None:
    dom.runtime.settle("fulfilment", position)


def given_stock(
    dom: Container, quantity: int, code: str = "WH1", sku: str = "A", **location
) -> None:
    dom.fulfilment.define_location(a_location(code, **location), NOW)
    settled(
        dom, dom.fulfilment.count_stock([StockCount(code, sku, quantity, NOW)], NOW).notification_id
    )


def test_a_count_shows_in_availability_at_once(dom: Container):
    given_stock(dom, 10)
    assert available_to_promise(dom.store, ["A"], "webshop")[0]["available_to_promise"] == 10
    outcome = dom.fulfilment.reserve("WH1", "A", "order-1", {"1": 3})
    settled(dom, outcome.notification_id)
    assert available_to_promise(dom.store, ["A"], "webshop")[0]["available_to_promise"] == 7
    assert inventory(dom.store, "A")[0] | {"updated_at": None} == {
        "location": "WH1", "type": "warehouse", "active": True, "on_hand": 10, "reserved": 3,
        "safety_stock": 0, "available": 7, "oversold": 0, "updated_at": None,
    }  # fmt: skip


def test_availability_per_channel_counts_only_active_locations_serving_it(dom: Container):
    given_stock(dom, 10, "WH1", channels=("webshop", "marketplace"))
    given_stock(dom, 4, "ST1", channels=("webshop",))
    given_stock(dom, 7, "OFF", channels=("webshop",), active=False)
    by_channel = {
        channel: available_to_promise(dom.store, ["A"], channel)[0]["available_to_promise"]
        for channel in ("webshop", "marketplace", "instagram")
    }
    assert by_channel == {"webshop": 14, "marketplace": 10, "instagram": 0}
    dom.fulfilment.define_location(a_location("OFF", channels=("webshop",), active=True), NOW)
    dom.runtime.catch_up_all()
    assert available_to_promise(dom.store, ["A"], "webshop")[0]["available_to_promise"] == 21


def test_counting_the_same_file_twice_changes_nothing(dom: Container):
    dom.fulfilment.define_location(a_location(), NOW)
    counts = [StockCount("WH1", f"S{n}", n, NOW, safety_stock=1) for n in range(20)]
    first = dom.fulfilment.count_stock(counts, NOW)
    before = dom.fulfilment.recorder.max_notification_id()
    again = dom.fulfilment.count_stock(counts, NOW)
    assert (first.applied, again.applied, again.unchanged) == (20, 0, 20)
    assert dom.fulfilment.recorder.max_notification_id() == before


def test_counts_from_the_future_are_refused(dom: Container):
    dom.fulfilment.define_location(a_location(), NOW)
    before = dom.fulfilment.recorder.max_notification_id()
    with pytest.raises(InvalidCommand) as refused:
        dom.fulfilment.count_stock([StockCount("WH1", "A", 1, NOW + timedelta(hours=2))], NOW)
    assert refused.value.problems[0].field == "counts.0.counted_at"
    assert dom.fulfilment.recorder.max_notification_id() == before


def test_counts_for_an_unknown_location_change_nothing(dom: Container):
    dom.fulfilment.define_location(a_location(), NOW)
    before = dom.fulfilment.recorder.max_notification_id()
    with pytest.raises(NotFound, match="'NOPE'"):
        dom.fulfilment.count_stock(
            [StockCount("WH1", "A", 1, NOW), StockCount("NOPE", "A", 1, NOW)], NOW
        )
    assert dom.fulfilment.recorder.max_notification_id() == before


def test_movements_are_idempotent_by_reference(dom: Container):
    given_stock(dom, 10)
    later = NOW + timedelta(minutes=1)  # a movement at the count's moment is already in it
    for _ in range(2):
        dom.fulfilment.move_stock("WH1", "A", Movement.RECEIVED, 5, "", "PO-1", later)
    dom.fulfilment.move_stock("WH1", "A", Movement.DAMAGED, 2, "dropped", "D-1", later)
    assert dom.fulfilment.stock_item("WH1", "A").on_hand == 13


def test_a_late_count_keeps_later_movements_and_reservations(dom: Container):
    given_stock(dom, 10)
    dom.fulfilment.reserve("WH1", "A", "order-1", {"1": 4})
    dom.fulfilment.move_stock(
        "WH1", "A", Movement.RECEIVED, 5, "", "PO-2", NOW + timedelta(minutes=10)
    )
    dom.fulfilment.count_stock([StockCount("WH1", "A", 8, NOW + timedelta(minutes=5))], NOW)
    item = dom.fulfilment.stock_item("WH1", "A")
    assert (item.on_hand, item.reserved) == (13, 4)


@pytest.fixture
def durable(durable_store: Settings):
    container = bootstrap(durable_store)
    yield container
    container.close()


def test_50_concurrent_reservations_for_the_last_10_units_give_exactly_10(durable: Container):
    given_stock(durable, 10)
    start = threading.Barrier(50)
    outcomes: list[str] = []
    samples: list[tuple[int, int]] = []
    running = True

    def attempt(n: int) -> None:
        start.wait()
        try:
            durable.fulfilment.reserve("WH1", "A", f"order-{n}", {"1": 1})
            outcomes.append("reserved")
        except InsufficientStock:
            outcomes.append("refused")

    def watch() -> None:
        while running:
            item = durable.fulfilment.stock_item("WH1", "A")
            samples.append((item.reserved, item.on_hand))

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    running = False
    watcher.join()

    assert sorted(outcomes).count("reserved") == 10 and len(outcomes) == 50
    assert all(reserved <= on_hand for reserved, on_hand in samples)
    # Every moment in the item's history, not only the sampled ones:
    item_id = durable.fulfilment.stock_item("WH1", "A").id
    state = None
    for event in durable.fulfilment.events.get(item_id):
        state = event.mutate(state)
        assert isinstance(state, StockItem) and 0 <= state.reserved <= state.on_hand
    assert state.reserved == 10 and state.available == 0
    durable.runtime.catch_up_all()
    assert inventory(durable.store, "A")[0]["reserved"] == 10


def test_availability_ignores_the_other_aggregates_of_fulfilment(dom: Container):
    given_stock(dom, 3)
    rules = {"strategies": [{"name": "any", "criteria": [{"kind": "priority"}]}]}
    dom.fulfilment.draft_policy("default", rules, "", NOW)
    dom.runtime.catch_up_all()
    assert dom.runtime.rebuild_all()["availability"] > 0
    assert inventory(dom.store, "A")[0]["on_hand"] == 3


@pytest.mark.parametrize("year", [1, 1969, 2200, 9999])
def test_a_count_dated_outside_the_sane_range_is_refused_by_the_domain_too(dom, year):
    dom.fulfilment.define_location(a_location("WH1"), NOW)
    before = dom.fulfilment.recorder.max_notification_id()
    counted_at = NOW.replace(year=year)
    with pytest.raises(InvalidCommand, match=r"counts\.0\.counted_at"):
        dom.fulfilment.count_stock([StockCount("WH1", "SKU-1", 5, counted_at)], NOW)
    assert dom.fulfilment.recorder.max_notification_id() == before


def test_a_refused_count_is_named_by_its_place_in_the_request(dom: Container):
    """The problems of the second count were reported as `counted_at`, not `counts.1...`."""
    given_stock(dom, 10)
    later = NOW + timedelta(days=3)
    dom.fulfilment.move_stock("WH1", "A", Movement.RECEIVED, 1, "", "r1", NOW + timedelta(hours=1))
    dom.fulfilment.move_stock("WH1", "A", Movement.RECEIVED, 1, "", "r2", later)
    counts = [StockCount("WH1", "B", 5, later), StockCount("WH1", "A", 5, NOW + timedelta(hours=2))]
    with pytest.raises(InvalidCommand) as refused:
        dom.fulfilment.count_stock(counts, later)
    assert [p.field for p in refused.value.problems] == ["counts.1.counted_at"]
    assert dom.fulfilment.stock_item("WH1", "A").on_hand == 12
    with pytest.raises(NotFound):  # nothing of the request was recorded, B's count neither
        dom.fulfilment.stock_item("WH1", "B")


def test_an_adjustment_of_nothing_names_the_field_the_caller_sent(dom: Container):
    given_stock(dom, 10)
    with pytest.raises(InvalidCommand) as refused:
        dom.fulfilment.move_stock("WH1", "A", Movement.ADJUSTED, 0, "typo", "a1", NOW)
    assert [p.field for p in refused.value.problems] == ["quantity"]


def test_availability_is_never_shown_below_zero_and_an_oversell_is_said(dom: Container):
    """A reservation made by hand beyond a later count showed available -6, silently."""
    given_stock(dom, 10)
    dom.fulfilment.reserve("WH1", "A", "store-sale-1", {"1": 8})
    later = NOW + timedelta(minutes=5)
    outcome = dom.fulfilment.count_stock([StockCount("WH1", "A", 2, later)], later)
    settled(dom, outcome.notification_id)
    [levels] = inventory(dom.store, "A")
    assert (levels["on_hand"], levels["reserved"], levels["available"], levels["oversold"]) == (
        2,
        8,
        0,
        6,
    )
    assert available_to_promise(dom.store, ["A"], "webshop")[0]["available_to_promise"] == 0
