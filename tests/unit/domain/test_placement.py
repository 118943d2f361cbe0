from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import InvalidCommand
from domain.orders.placement import Line, normalise_placement
from tests.builders import NOW, an_order


def fields_at_fault(command) -> set[str]:
    with pytest.raises(InvalidCommand) as raised:
        normalise_placement(command, NOW)
    return {problem.field for problem in raised.value.problems}


def test_a_valid_order_is_normalised_with_exact_money():
    placement = normalise_placement(an_order(lines=2, shipping_price="4.9", total="34.9"), NOW)
    assert placement["shipping_price"] == "4.90"
    assert placement["total"] == "34.90"
    assert [line["unit_price"] for line in placement["lines"]] == ["10.00", "10.00"]


def test_the_total_must_add_up_exactly():
    assert fields_at_fault(an_order(total="14.96")) == {"total"}


def test_discount_counts_against_the_total():
    assert (
        normalise_placement(an_order(discount_total="1.00", total="13.95"), NOW)["total"] == "13.95"
    )


def test_a_line_needs_a_positive_quantity():
    command = an_order()
    command = replace(command, lines=(Line("1", "SKU-1", 0, "10.00"),), total="4.95")
    assert "lines.0.quantity" in fields_at_fault(command)


def test_line_ids_are_unique():
    command = replace(
        an_order(), lines=(Line("1", "A", 1, "1.00"), Line("1", "B", 1, "1.00")), total="6.95"
    )
    assert fields_at_fault(command) == {"lines.1.line_id"}


def test_more_decimals_than_the_currency_has_is_refused():
    assert "lines.0.unit_price" in fields_at_fault(
        replace(an_order(), lines=(Line("1", "A", 1, "1.005"),))
    )


def test_yen_has_no_minor_units():
    command = replace(an_order(), currency="JPY", lines=(Line("1", "A", 2, "1500"),),
                      shipping_price="0", total="3000")  # fmt: skip
    assert normalise_placement(command, NOW)["total"] == "3000"


def test_unknown_currency_is_refused():
    assert fields_at_fault(an_order(currency="XYZ")) == {"currency"}


def test_negative_prices_are_refused():
    assert "shipping_price" in fields_at_fault(an_order(shipping_price="-1.00"))


def test_placed_at_must_not_be_in_the_future():
    assert fields_at_fault(an_order(placed_at=NOW + timedelta(hours=1))) == {"placed_at"}


def test_placed_at_needs_a_time_zone():
    assert fields_at_fault(an_order(placed_at=NOW.replace(tzinfo=None))) == {"placed_at"}


def test_channel_must_be_an_identifier():
    assert fields_at_fault(an_order(channel="Web Shop")) == {"channel"}


def test_all_problems_are_reported_at_once():
    command = replace(an_order(total="1.00"), channel="BAD CHANNEL")
    assert fields_at_fault(command) >= {"channel"}


def test_equal_content_in_other_spelling_normalises_the_same():
    a = normalise_placement(
        an_order(channel_order_id="X", shipping_price="4.95", tags=("b", "a")), NOW
    )
    b = normalise_placement(
        an_order(channel_order_id="X", shipping_price="4.950", tags=("a", "b", "a")), NOW
    )
    assert a == b
