import pytest

from domain.errors import InvalidCommand, InvalidTransition
from domain.orders.order import LineState, Order, OrderStatus, order_id_for, roll_up
from tests.builders import NOW, an_order


def placed(lines: int = 2) -> Order:
    return Order.place(an_order(lines=lines), NOW)


def rebuilt(order: Order) -> Order:
    """The aggregate reconstructed from its own events, as the repository does."""
    copy = None
    for event in order.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def test_placing_records_placed_and_released():
    order = placed()
    events = order.collect_events()
    assert [type(e).__name__ for e in events] == ["Placed", "Released"]
    assert order.status is OrderStatus.RELEASED
    assert order.id == order_id_for("webshop", order.channel_order_id)


def test_the_order_id_is_derived_from_channel_and_channel_order_id():
    assert order_id_for("web", "1") == order_id_for("web", "1")
    assert order_id_for("web", "1") != order_id_for("web2", "1")
    assert order_id_for("web", "1") != order_id_for("web", "2")


def test_a_retry_with_the_same_content_is_the_same_placement():
    command = an_order(channel_order_id="R-1")
    assert Order.place(command, NOW).same_placement(command, NOW)
    assert not Order.place(command, NOW).same_placement(
        an_order(channel_order_id="R-1", lines=2), NOW
    )


def test_cancelling_the_whole_order():
    order = placed()
    assert order.cancel("customer asked", NOW)
    assert order.status is OrderStatus.CANCELLED
    assert set(order.line_states.values()) == {LineState.CANCELLED}


def test_cancelling_twice_changes_nothing_the_second_time():
    order = placed()
    order.cancel("customer asked", NOW)
    order.collect_events()
    assert not order.cancel("customer asked", NOW)
    assert order.collect_events() == []


def test_cancelling_some_lines_keeps_the_order_open():
    order = placed(lines=2)
    order.cancel("out of stock", NOW, line_ids=["1"])
    assert order.line_states == {"1": LineState.CANCELLED, "2": LineState.OPEN}
    assert order.status is OrderStatus.RELEASED
    assert order.cancel_reasons == {"1": "out of stock"}


def test_cancelling_an_unknown_line_is_refused_and_records_nothing():
    order = placed()
    order.collect_events()
    with pytest.raises(InvalidCommand):
        order.cancel("?", NOW, line_ids=["9"])
    assert order.collect_events() == []


def test_shipped_lines_cannot_be_cancelled():
    order = placed(lines=1)
    order.progress_lines({"1": LineState.SHIPPED}, NOW)
    with pytest.raises(InvalidTransition):
        order.cancel("too late", NOW)


def test_hold_and_release():
    order = placed()
    order.hold("fraud review", NOW)
    assert order.status is OrderStatus.HELD
    order.hold("fraud review", NOW)  # again: nothing new
    order.release(NOW)
    assert order.status is OrderStatus.RELEASED
    names = [type(e).__name__ for e in order.collect_events()]
    assert names == ["Placed", "Released", "Held", "Released"]


def test_a_cancelled_order_cannot_be_held():
    order = placed()
    order.cancel("x", NOW)
    with pytest.raises(InvalidTransition):
        order.hold("fraud", NOW)


def test_line_progress_rolls_up_to_the_order_status():
    order = placed(lines=2)
    order.progress_lines({"1": LineState.ALLOCATED, "2": LineState.ALLOCATED}, NOW)
    assert order.status is OrderStatus.ALLOCATED
    order.progress_lines({"1": LineState.SHIPPED}, NOW)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    order.progress_lines({"2": LineState.DELIVERED, "1": LineState.DELIVERED}, NOW)
    assert order.status is OrderStatus.DELIVERED


def test_stale_line_progress_is_ignored():
    order = placed(lines=1)
    order.progress_lines({"1": LineState.SHIPPED}, NOW)
    assert not order.progress_lines({"1": LineState.ALLOCATED}, NOW)


def test_roll_up_treats_cancelled_lines_as_absent():
    assert roll_up({"1": LineState.CANCELLED, "2": LineState.SHIPPED}, []) is OrderStatus.SHIPPED
    assert roll_up({"1": LineState.CANCELLED}, []) is OrderStatus.CANCELLED
    assert roll_up({"1": LineState.OPEN}, ["x"]) is OrderStatus.HELD


def test_the_order_rebuilt_from_its_events_equals_the_live_one():
    order = placed(lines=3)
    order.hold("review", NOW)
    order.release(NOW)
    order.cancel("oos", NOW, line_ids=["2"])
    order.progress_lines({"1": LineState.ALLOCATED}, NOW)
    copy = rebuilt(order)

    def state(o: Order) -> dict:
        return {k: v for k, v in vars(o).items() if k != "_pending_events"}

    assert state(copy) == state(order)


def test_allocation_records_the_location_per_line_and_deallocation_reopens():
    order = placed(lines=2)
    order.allocate("WH1", {"1": 1}, NOW)
    assert order.allocations == {"1": {"WH1": 1}}
    assert order.line_states["1"] is LineState.ALLOCATED
    assert not order.allocate("WH1", {"1": 1}, NOW)  # the same news again
    order.deallocate("WH1", ["1"], "rejected", NOW)
    assert order.allocations == {} and order.line_states["1"] is LineState.OPEN
    order.allocate("WH2", {"1": 1, "2": 2}, NOW)
    assert order.status is OrderStatus.ALLOCATED
