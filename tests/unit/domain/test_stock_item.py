from datetime import timedelta

import pytest

from domain.errors import Conflict, InsufficientStock, InvalidCommand
from domain.fulfilment.stock_item import MOVEMENT_WINDOW, StockItem, stock_item_id_for
from tests.builders import NOW

HOUR = timedelta(hours=1)


def an_item(on_hand: int = 0, safety_stock: int = 0) -> StockItem:
    """A stock item with its set-up events already collected."""
    item = StockItem(location_code="WH1", sku="SKU-1")
    if on_hand:
        item.receive(on_hand, "setup", NOW - 10 * HOUR)
    if safety_stock:
        item.set_safety_stock(safety_stock, NOW)
    item.collect_events()
    return item


def names(item: StockItem) -> list[str]:
    return [type(e).__name__ for e in item.collect_events()]


def levels_of(item: StockItem) -> dict[str, int]:
    return {"on_hand": item.on_hand, "reserved": item.reserved, "safety_stock": item.safety_stock}


# --- counts ---------------------------------------------------------------------


def test_a_count_sets_on_hand():
    item = an_item(on_hand=3)
    assert item.count(12, NOW)
    assert item.on_hand == 12
    assert item.last_count_at == NOW
    assert names(item) == ["Counted"]


def test_a_first_count_of_zero_is_recorded():
    item = an_item()
    assert item.count(0, NOW)
    assert names(item) == ["Counted"]


def test_a_count_that_finds_what_is_on_hand_is_recorded_as_confirmed():
    item = an_item()
    item.count(5, NOW - HOUR)
    item.collect_events()
    assert item.count(5, NOW)
    assert item.on_hand == 5
    assert item.last_count_at == NOW
    assert names(item) == ["CountConfirmed"]


def test_a_count_at_the_time_of_the_last_applied_count_is_ignored():
    item = an_item()
    item.count(5, NOW)
    item.collect_events()
    assert not item.count(7, NOW)
    assert item.on_hand == 5
    assert item.collect_events() == []


def test_a_count_older_than_the_last_applied_count_is_ignored():
    item = an_item()
    item.count(5, NOW)
    item.collect_events()
    assert not item.count(7, NOW - HOUR)
    assert item.on_hand == 5
    assert item.last_count_at == NOW
    assert item.collect_events() == []


def test_a_late_count_keeps_the_movements_recorded_after_it():
    item = an_item()
    item.receive(5, "r1", NOW)
    item.count(20, NOW - HOUR)
    assert item.on_hand == 25


def test_a_late_count_ignores_the_movements_recorded_before_it():
    item = an_item()
    item.receive(5, "r1", NOW - 2 * HOUR)
    item.count(20, NOW - HOUR)
    assert item.on_hand == 20


def test_a_late_count_is_placed_among_every_kind_of_movement():
    item = an_item()
    item.receive(10, "before", NOW - 3 * HOUR)  # already on the shelf when counted
    item.reserve("o1", {"1": 3})
    item.receive(4, "r1", NOW - HOUR)
    item.adjust(-2, "found broken seal", "a1", NOW - HOUR)
    item.record_damage(1, "dropped", "d1", NOW)
    item.dispatch("o1", None, NOW)

    item.count(20, NOW - 2 * HOUR)

    assert item.on_hand == 20 + 4 - 2 - 1 - 3


def test_a_count_older_than_the_movement_window_is_refused():
    item = an_item()
    item.receive(5, "old", NOW - MOVEMENT_WINDOW - HOUR)
    item.receive(5, "new", NOW)  # the old receipt is now forgotten
    item.collect_events()
    with pytest.raises(InvalidCommand) as refused:
        item.count(20, NOW - MOVEMENT_WINDOW - timedelta(minutes=1))
    assert [p.field for p in refused.value.problems] == ["counted_at"]
    assert item.on_hand == 10
    assert item.last_count_at is None
    assert item.collect_events() == []


def test_a_late_count_within_the_movement_window_is_accepted():
    item = an_item()
    item.receive(5, "old", NOW - MOVEMENT_WINDOW - HOUR)
    item.receive(5, "new", NOW)
    assert item.count(20, NOW - MOVEMENT_WINDOW + HOUR)
    assert item.on_hand == 25


def test_a_movement_older_than_the_applied_count_is_already_in_it():
    counted_first = an_item()
    counted_first.count(20, NOW)
    counted_first.receive(5, "r1", NOW - HOUR)

    received_first = an_item()
    received_first.receive(5, "r1", NOW - HOUR)
    received_first.count(20, NOW)

    assert received_first.on_hand == 20
    assert counted_first.on_hand == received_first.on_hand


def test_a_count_keeps_the_reservations():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 4})
    item.count(6, NOW)
    assert item.reservations == {"o1/1": 4}
    assert item.on_hand == 6
    assert item.available == 2


def test_a_count_below_zero_is_refused():
    item = an_item()
    with pytest.raises(InvalidCommand):
        item.count(-1, NOW)
    assert item.collect_events() == []


# --- availability and reservations -----------------------------------------------


def test_available_is_on_hand_less_reserved_less_safety_stock():
    item = an_item(on_hand=10, safety_stock=2)
    item.reserve("o1", {"1": 3})
    assert item.available == 10 - 3 - 2


def test_reserving_records_each_line():
    item = an_item(on_hand=10)
    assert item.reserve("o1", {"1": 2, "2": 3})
    assert item.reservations == {"o1/1": 2, "o1/2": 3}
    assert item.reserved == 5
    assert names(item) == ["Reserved"]


def test_the_lines_of_one_order_are_summed_before_the_check():
    item = an_item(on_hand=10)
    with pytest.raises(InsufficientStock):
        item.reserve("o1", {"1": 6, "2": 5})
    assert item.reservations == {}
    assert item.collect_events() == []


def test_safety_stock_is_not_reservable():
    item = an_item(on_hand=10, safety_stock=3)
    with pytest.raises(InsufficientStock):
        item.reserve("o1", {"1": 8})
    assert item.reserve("o1", {"1": 7})
    assert item.available == 0


def test_reserving_the_same_line_again_with_the_same_quantity_changes_nothing():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 4})
    item.collect_events()
    assert not item.reserve("o1", {"1": 4})
    assert item.reservations == {"o1/1": 4}
    assert item.collect_events() == []


def test_a_retry_with_a_new_line_reserves_only_the_new_line():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 4})
    item.collect_events()
    assert item.reserve("o1", {"1": 4, "2": 6})
    assert item.reservations == {"o1/1": 4, "o1/2": 6}
    [reserved] = item.collect_events()
    assert reserved.reservations == {"o1/2": 6}


def test_reserving_the_same_line_with_another_quantity_is_a_conflict():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 4})
    item.collect_events()
    with pytest.raises(Conflict):
        item.reserve("o1", {"1": 5})
    assert item.reservations == {"o1/1": 4}
    assert item.collect_events() == []


def test_the_same_line_id_in_two_orders_is_two_reservations():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 4})
    item.reserve("o2", {"1": 5})
    assert item.reservations == {"o1/1": 4, "o2/1": 5}


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_line_of_zero_or_less_is_refused(quantity):
    item = an_item(on_hand=10)
    with pytest.raises(InvalidCommand) as refused:
        item.reserve("o1", {"1": 2, "2": quantity})
    assert [p.field for p in refused.value.problems] == ["lines.2"]
    assert item.reservations == {}
    assert item.collect_events() == []


def test_releasing_an_order_frees_all_its_lines():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    item.reserve("o2", {"1": 1})
    item.collect_events()
    assert item.release("o1", None, NOW)
    assert item.reservations == {"o2/1": 1}
    assert item.available == 9
    assert names(item) == ["ReservationsReleased"]


def test_releasing_some_lines_keeps_the_others():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    assert item.release("o1", ["2"], NOW)
    assert item.reservations == {"o1/1": 2}


def test_releasing_what_is_not_reserved_changes_nothing():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2})
    item.collect_events()
    assert not item.release("o2", None, NOW)
    assert not item.release("o1", ["9"], NOW)
    assert item.collect_events() == []


def test_releasing_a_line_named_twice_releases_it_once():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    assert item.release("o1", ["1", "1"], NOW)
    assert item.reservations == {"o1/2": 3}


def test_dispatching_a_line_named_twice_dispatches_it_once():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    assert item.dispatch("o1", ["1", "1"], NOW)
    assert item.on_hand == 8
    assert item.reservations == {"o1/2": 3}


def test_dispatching_consumes_the_reservation():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    item.collect_events()
    assert item.dispatch("o1", None, NOW)
    assert item.on_hand == 5
    assert item.reserved == 0
    assert item.reservations == {}
    assert names(item) == ["Dispatched"]


def test_dispatching_some_lines_keeps_the_others_reserved():
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2, "2": 3})
    assert item.dispatch("o1", ["1"], NOW)
    assert item.on_hand == 8
    assert item.reservations == {"o1/2": 3}


def test_dispatching_what_is_not_reserved_changes_nothing():
    item = an_item(on_hand=10)
    assert not item.dispatch("o1", None, NOW)
    assert item.on_hand == 10
    assert item.collect_events() == []


# --- movements ------------------------------------------------------------------


def test_receiving_adds_to_on_hand():
    item = an_item(on_hand=2)
    assert item.receive(5, "r1", NOW)
    assert item.on_hand == 7
    assert names(item) == ["Received"]


def test_adjusting_adds_the_signed_delta():
    item = an_item(on_hand=5)
    assert item.adjust(3, "found", "a1", NOW)
    assert item.adjust(-6, "lost", "a2", NOW)
    assert item.on_hand == 2
    assert names(item) == ["Adjusted", "Adjusted"]


def test_damage_is_taken_from_on_hand():
    item = an_item(on_hand=5)
    assert item.record_damage(2, "dropped", "d1", NOW)
    assert item.on_hand == 3
    assert names(item) == ["Damaged"]


def test_a_retried_receipt_changes_nothing():
    item = an_item()
    item.receive(5, "r1", NOW)
    item.collect_events()
    assert not item.receive(5, "r1", NOW + HOUR)
    assert item.on_hand == 5
    assert item.collect_events() == []


def test_a_retried_adjustment_changes_nothing():
    item = an_item(on_hand=5)
    item.adjust(-2, "lost", "a1", NOW)
    item.collect_events()
    assert not item.adjust(-2, "lost", "a1", NOW + HOUR)
    assert item.on_hand == 3
    assert item.collect_events() == []


def test_a_retried_damage_changes_nothing():
    item = an_item(on_hand=5)
    item.record_damage(2, "dropped", "d1", NOW)
    item.collect_events()
    assert not item.record_damage(2, "dropped", "d1", NOW + HOUR)
    assert item.on_hand == 3
    assert item.collect_events() == []


def test_references_are_shared_by_all_movements():
    """A reference names one movement: its retry changes nothing; another movement under it
    (another kind or quantity) is refused as a Conflict (409), as an order id reused with
    other content is; it used to answer 200 and change nothing."""
    item = an_item(on_hand=5)
    item.receive(5, "m1", NOW)
    item.collect_events()
    assert not item.receive(5, "m1", NOW)
    with pytest.raises(
        Conflict, match=r"m1 was used for another movement .*received 5.*not received 6"
    ):
        item.receive(6, "m1", NOW)
    with pytest.raises(Conflict, match="not adjusted -1"):
        item.adjust(-1, "lost", "m1", NOW)
    with pytest.raises(Conflict, match="not damaged 1"):
        item.record_damage(1, "dropped", "m1", NOW)
    assert item.on_hand == 10
    assert item.collect_events() == []


def test_adjusting_below_zero_is_refused():
    item = an_item(on_hand=3)
    with pytest.raises(InsufficientStock, match="below 0"):  # a conflict with the shelf: 409
        item.adjust(-4, "lost", "a1", NOW)
    assert item.on_hand == 3
    assert item.collect_events() == []


def test_adjusting_to_exactly_zero_is_allowed():
    item = an_item(on_hand=3)
    assert item.adjust(-3, "lost", "a1", NOW)
    assert item.on_hand == 0


def test_an_adjustment_of_zero_is_refused():
    item = an_item(on_hand=3)
    with pytest.raises(InvalidCommand):
        item.adjust(0, "nothing", "a1", NOW)
    assert item.collect_events() == []


def test_damage_of_more_than_on_hand_is_refused():
    item = an_item(on_hand=3)
    with pytest.raises(InsufficientStock, match="more than on hand"):
        item.record_damage(4, "dropped", "d1", NOW)
    assert item.on_hand == 3
    assert item.collect_events() == []


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_receipt_of_zero_or_less_is_refused(quantity):
    item = an_item()
    with pytest.raises(InvalidCommand):
        item.receive(quantity, "r1", NOW)
    assert item.collect_events() == []


@pytest.mark.parametrize("quantity", [0, -1])
def test_damage_of_zero_or_less_is_refused(quantity):
    item = an_item(on_hand=3)
    with pytest.raises(InvalidCommand):
        item.record_damage(quantity, "dropped", "d1", NOW)
    assert item.collect_events() == []


def test_a_refused_movement_does_not_use_up_its_reference():
    item = an_item(on_hand=3)
    with pytest.raises(InsufficientStock):
        item.record_damage(4, "dropped", "d1", NOW)
    assert item.record_damage(3, "dropped", "d1", NOW)
    assert item.on_hand == 0


# --- safety stock ---------------------------------------------------------------


def test_setting_the_safety_stock():
    item = an_item(on_hand=10)
    assert item.set_safety_stock(4, NOW)
    assert item.safety_stock == 4
    assert item.available == 6
    assert names(item) == ["SafetyStockSet"]


def test_setting_the_same_safety_stock_again_changes_nothing():
    item = an_item(on_hand=10, safety_stock=4)
    assert not item.set_safety_stock(4, NOW)
    assert item.collect_events() == []


def test_a_negative_safety_stock_is_refused():
    item = an_item()
    with pytest.raises(InvalidCommand) as refused:
        item.set_safety_stock(-1, NOW)
    assert [p.field for p in refused.value.problems] == ["safety_stock"]


def test_a_release_and_a_safety_stock_change_carry_their_time():
    """What may raise availability says when, so reactions to it need no clock."""
    item = an_item(on_hand=10)
    item.reserve("o1", {"1": 2})
    item.collect_events()
    item.release("o1", None, NOW)
    item.set_safety_stock(3, NOW + HOUR)
    recorded = [(type(e).__name__, e.at, e.class_version) for e in item.collect_events()]
    assert recorded == [("ReservationsReleased", NOW, 2), ("SafetyStockSet", NOW + HOUR, 2)]


# --- events carry the levels ----------------------------------------------------

COMMANDS = {
    "count": lambda item: item.count(7, NOW - HOUR),
    "receive": lambda item: item.receive(4, "r2", NOW),
    "adjust": lambda item: item.adjust(-2, "lost", "a2", NOW),
    "damage": lambda item: item.record_damage(1, "dropped", "d2", NOW),
    "set_safety_stock": lambda item: item.set_safety_stock(2, NOW),
    "reserve": lambda item: item.reserve("o2", {"1": 2, "2": 1}),
    "release": lambda item: item.release("o1", ["1"], NOW),
    "dispatch": lambda item: item.dispatch("o1", None, NOW),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_event_carries_the_levels_it_leaves(command):
    item = an_item(on_hand=10, safety_stock=1)
    item.reserve("o1", {"1": 3, "2": 1})
    item.receive(2, "r1", NOW - HOUR / 2)
    item.collect_events()

    assert COMMANDS[command](item)

    [recorded] = item.collect_events()
    assert recorded.levels == levels_of(item)


def test_levels_follow_a_sequence_of_commands():
    item = an_item()
    steps = [
        lambda: item.receive(10, "r1", NOW - 2 * HOUR),
        lambda: item.reserve("o1", {"1": 4}),
        lambda: item.count(3, NOW - 3 * HOUR),  # late: the receipt after it is kept
        lambda: item.set_safety_stock(1, NOW),
        lambda: item.dispatch("o1", None, NOW),
        lambda: item.record_damage(2, "dropped", "d1", NOW),
    ]
    seen = []
    for step in steps:
        step()
        seen.extend(e.levels for e in item.collect_events())
    assert seen == [
        {"on_hand": 10, "reserved": 0, "safety_stock": 0},
        {"on_hand": 10, "reserved": 4, "safety_stock": 0},
        {"on_hand": 13, "reserved": 4, "safety_stock": 0},
        {"on_hand": 13, "reserved": 4, "safety_stock": 1},
        {"on_hand": 9, "reserved": 0, "safety_stock": 1},
        {"on_hand": 7, "reserved": 0, "safety_stock": 1},
    ]


def test_a_confirmed_count_carries_no_levels():
    item = an_item()
    item.count(5, NOW - HOUR)
    item.collect_events()
    item.count(5, NOW)
    [confirmed] = item.collect_events()
    assert not hasattr(confirmed, "levels")


# --- identity -------------------------------------------------------------------


def test_the_stock_item_id_is_derived_from_location_and_sku():
    assert stock_item_id_for("WH1", "SKU-1") == stock_item_id_for("WH1", "SKU-1")
    assert stock_item_id_for("WH1", "SKU-1") != stock_item_id_for("WH2", "SKU-1")
    assert stock_item_id_for("WH1", "SKU-1") != stock_item_id_for("WH1", "SKU-2")


def test_the_location_code_in_the_stock_item_id_is_case_insensitive():
    assert stock_item_id_for("wh1", "SKU-1") == stock_item_id_for("WH1", "SKU-1")
    assert StockItem(location_code="wh1", sku="SKU-1").id == stock_item_id_for("WH1", "SKU-1")


def test_the_sku_in_the_stock_item_id_is_case_sensitive():
    assert stock_item_id_for("WH1", "sku-1") != stock_item_id_for("WH1", "SKU-1")
