"""Captures per shipment add up exactly to the order's total, in currencies with 0, 2
and 3 minor units, however the order is split and in whatever order shipments leave."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.money import MINOR_UNITS
from domain.payments.amounts import OrderAmounts, capture_for


def an_order(currency: str, prices: dict[str, str], quantities: dict[str, int],
             shipping: str, discount: str) -> OrderAmounts:  # fmt: skip
    unit_prices = {line: Decimal(price) for line, price in prices.items()}
    goods = sum((unit_prices[line] * q for line, q in quantities.items()), Decimal(0))
    return OrderAmounts(
        currency, unit_prices, quantities, goods + Decimal(shipping) - Decimal(discount)
    )


def captures(order: OrderAmounts, shipments: list[dict[str, int]]) -> list[Decimal]:
    shipped: dict[str, int] = {}
    taken = []
    for shipment in shipments:
        taken.append(capture_for(order, shipped, shipment))
        for line, quantity in shipment.items():
            shipped[line] = shipped.get(line, 0) + quantity
    return taken


def test_three_shipments_in_eur_capture_the_total_to_the_cent():
    order = an_order("EUR", {"1": "10.00", "2": "3.33", "3": "7.01"}, {"1": 1, "2": 3, "3": 2},
                     shipping="4.95", discount="2.50")  # fmt: skip
    assert order.total == Decimal("36.46")  # goods 34.01, shipping 4.95, discount 2.50
    taken = captures(order, [{"1": 1}, {"2": 3}, {"3": 2}])
    # running totals 10.00 x 36.46 / 34.01 = 10.7204 -> 10.72; 19.99 x ... = 21.4300 -> 21.43
    assert taken == [Decimal("10.72"), Decimal("10.71"), Decimal("15.03")]
    assert sum(taken) == order.total and all(t.as_tuple().exponent == -2 for t in taken)


def test_three_shipments_in_jpy_capture_whole_yen_and_the_total():
    order = an_order("JPY", {"1": "1000", "2": "333"}, {"1": 1, "2": 2}, shipping="500",
                     discount="100")  # fmt: skip
    taken = captures(order, [{"2": 1}, {"1": 1}, {"2": 1}])
    assert sum(taken) == order.total == Decimal(2066)
    assert all(t == t.to_integral_value() for t in taken)
    # running totals 333 x 2066 / 1666 = 412.95 -> 413; 1333 x 2066 / 1666 = 1653.05 -> 1653
    assert taken == [Decimal(413), Decimal(1240), Decimal(413)]


def test_three_shipments_in_kwd_capture_fils_and_the_total():
    order = an_order("KWD", {"1": "1.333", "2": "0.250"}, {"1": 2, "2": 1}, shipping="1.000",
                     discount="0.000")  # fmt: skip
    taken = captures(order, [{"1": 1}, {"2": 1}, {"1": 1}])
    assert sum(taken) == order.total == Decimal("3.916")
    assert all(t.as_tuple().exponent == -3 for t in taken)


def test_the_order_of_the_shipments_changes_the_shares_but_never_the_sum():
    order = an_order("EUR", {"1": "0.01", "2": "0.01", "3": "0.01"}, {"1": 1, "2": 1, "3": 1},
                     shipping="0.01", discount="0.00")  # fmt: skip
    for split in ([{"1": 1}, {"2": 1}, {"3": 1}], [{"3": 1}, {"1": 1, "2": 1}]):
        assert sum(captures(order, split)) == Decimal("0.04")


def test_free_goods_capture_the_shipping_with_the_first_shipment():
    order = an_order("EUR", {"1": "0.00", "2": "0.00"}, {"1": 1, "2": 1}, shipping="4.95",
                     discount="0.00")  # fmt: skip
    assert captures(order, [{"1": 1}, {"2": 1}]) == [Decimal("4.95"), Decimal("0.00")]


def test_cancelled_units_are_never_captured_and_take_their_share_of_shipping_along():
    order = an_order("EUR", {"1": "10.00", "2": "30.00"}, {"1": 1, "2": 1}, shipping="4.00",
                     discount="0.00")  # fmt: skip
    assert captures(order, [{"1": 1}]) == [Decimal("11.00")]  # line 2 cancelled: 33.00 never taken


@st.composite
def split_orders(draw: st.DrawFn) -> tuple[OrderAmounts, list[dict[str, int]]]:
    currency = draw(st.sampled_from(["EUR", "JPY", "KWD", "USD", "BHD", "ISK"]))
    places = MINOR_UNITS[currency]
    price = st.integers(0, 10**7).map(lambda minor: str(Decimal(minor).scaleb(-places)))
    lines = draw(st.integers(1, 6))
    prices = {str(n): draw(price) for n in range(1, lines + 1)}
    quantities = {line: draw(st.integers(1, 5)) for line in prices}
    goods = sum(Decimal(prices[line]) * q for line, q in quantities.items())
    shipping = Decimal(draw(st.integers(0, 5000))).scaleb(-places)
    discount = min(goods + shipping, Decimal(draw(st.integers(0, 5000))).scaleb(-places))
    order = an_order(currency, prices, quantities, str(shipping), str(discount))
    units = [line for line, quantity in quantities.items() for _ in range(quantity)]
    order_of_leaving = draw(st.permutations(units))
    cuts = sorted(set(draw(st.lists(st.integers(1, len(units)), max_size=len(units)))))
    shipments, start = [], 0
    for cut in [*cuts, len(units)]:
        if cut > start:
            part: dict[str, int] = {}
            for line in order_of_leaving[start:cut]:
                part[line] = part.get(line, 0) + 1
            shipments.append(part)
            start = cut
    return order, shipments


@given(split_orders())
def test_any_split_captures_exactly_the_total_never_less_than_nothing(
    case: tuple[OrderAmounts, list[dict[str, int]]],
):
    order, shipments = case
    taken = captures(order, shipments)
    assert sum(taken) == order.total
    places = MINOR_UNITS[order.currency]
    assert all(t >= 0 and t == t.quantize(Decimal(1).scaleb(-places)) for t in taken)
