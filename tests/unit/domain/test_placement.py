from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidCommand
from domain.orders.placement import (
    MAX_QUANTITY,
    Customer,
    Line,
    PlaceOrder,
    normalise_placement,
)
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


# --- whatever the command holds, the answer is the order or InvalidCommand ----------


def test_placed_at_at_the_start_of_the_calendar_is_refused_not_overflowed():
    placed_at = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert fields_at_fault(an_order(placed_at=placed_at)) == {"placed_at"}


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("customer.name", lambda o: replace(o, customer=Customer("A\x00nn", "a@example.com"))),
        ("customer.email", lambda o: replace(o, customer=Customer("Ann", "a@example.com\n"))),
        ("channel", lambda o: replace(o, channel="webshop\n")),
        ("channel_order_id", lambda o: replace(o, channel_order_id="CO\x1f1")),
        ("lines.0.sku", lambda o: replace(o, lines=(Line("1", "SKU\ud800", 1, "10.00"),))),
        ("tags.1", lambda o: replace(o, tags=("ok", "b\x7fd"))),
    ],
)
def test_text_that_cannot_be_recorded_is_refused_naming_the_field(where, change):
    assert where in fields_at_fault(change(an_order()))


@pytest.mark.parametrize("price", ["1e30", "99999999999999999999", "1000000000000"])
def test_amounts_beyond_any_order_are_refused(price):
    assert "lines.0.unit_price" in fields_at_fault(
        replace(an_order(), lines=(Line("1", "A", 1, price),))
    )


def test_quantities_and_priorities_have_a_range():
    huge = replace(an_order(), lines=(Line("1", "A", MAX_QUANTITY + 1, "1.00"),))
    assert "lines.0.quantity" in fields_at_fault(huge)
    assert fields_at_fault(an_order(priority=10)) == {"priority"}


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # incl. Cc and Cs
OFFSETS = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
MOMENTS = st.datetimes(timezones=st.none() | st.timezones() | OFFSETS)
AMOUNTS = (
    st.sampled_from(["10.00", "0", "4.95", "1e30", "NaN", "-1", "sNaN", "1e999999"])
    | st.decimals().map(str)
    | ANY_TEXT
)


CHANGES: dict[str, st.SearchStrategy[Any]] = {
    "channel": ANY_TEXT,
    "channel_order_id": ANY_TEXT,
    "placed_at": MOMENTS,
    "currency": st.sampled_from(["JPY", "BHD", "XYZ"]) | ANY_TEXT,
    "shipping_price": AMOUNTS,
    "discount_total": AMOUNTS,
    "total": AMOUNTS,
    "service_level": st.none() | ANY_TEXT,
    "tags": st.lists(ANY_TEXT, max_size=3).map(tuple),
    "pickup_location": st.none() | ANY_TEXT,
    "priority": st.none() | st.integers(),
    "customer.name": ANY_TEXT,
    "customer.email": ANY_TEXT,
    "customer.phone": st.none() | ANY_TEXT,
    **{f"shipping_address.{name}": ANY_TEXT for name in ("name", "line1", "postal_code", "city")},
    "shipping_address.country": ANY_TEXT,
    "shipping_address.line2": st.none() | ANY_TEXT,
    "shipping_address.latitude": st.none() | st.floats(),
    "shipping_address.longitude": st.none() | st.floats(),
    "lines": st.lists(
        st.builds(Line, ANY_TEXT, ANY_TEXT, st.integers(), AMOUNTS, group=st.none() | ANY_TEXT),
        max_size=3,
    ).map(tuple),
    "line.quantity": st.integers(),
    "line.unit_price": AMOUNTS,
    "line.line_id": ANY_TEXT,
}


@st.composite
def commands(draw: st.DrawFn) -> PlaceOrder:
    """A valid order with a few of its parts replaced by anything, so that every check is
    reached, the last ones included, and some commands pass."""
    command = an_order(lines=1)
    for path in draw(st.lists(st.sampled_from(sorted(CHANGES)), max_size=3, unique=True)):
        value = draw(CHANGES[path])
        part, _, name = path.partition(".")
        if part == "line":  # the first line, if "lines" did not take it away
            lines = [replace(line, **{name: value}) for line in command.lines[:1]]
            command = replace(command, lines=(*lines, *command.lines[1:]))
        elif name:
            command = replace(command, **{part: replace(getattr(command, part), **{name: value})})
        else:
            command = replace(command, **{part: value})
    return command


@settings(max_examples=400, deadline=None)
@example(replace(an_order(), placed_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))))
@example(replace(an_order(), lines=(Line("1", "A", 1, "1e30"),)))
@given(commands())
def test_any_command_is_normalised_or_refused_with_invalid_command_only(command):
    try:
        placement = normalise_placement(command, NOW)
    except InvalidCommand as refused:
        assert refused.problems
    else:
        assert placement["placed_at"].tzinfo is UTC
