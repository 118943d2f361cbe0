"""What each dispatched shipment captures, so that an order's captures add up to its total.

The rule (docs/payments.md): an order's total is its goods (each line's unit price
times its quantity) plus shipping less the order's discount. Shipping and discount
are spread over the goods in proportion to their value. A shipment does not capture
its own rounded share; it captures the difference between two rounded running totals:

    due(goods shipped so far) = round(goods so far x total / goods)

so the captures of an order telescope: however the order is split and in whatever
order its shipments leave, they add up exactly to `due(all goods)`, which is the
total when everything ships. Rounding is to the currency's minor unit (0, 2 or 3
decimals), half to even. Cancelled units are never captured and take their share
of shipping and discount with them. An order whose goods are free (all prices 0)
captures its whole total with the first shipment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.money import MINOR_UNITS


@dataclass(frozen=True)
class OrderAmounts:
    """What an order costs: unit price per line, quantity per line, and the total."""

    currency: str
    unit_prices: Mapping[str, Decimal]
    quantities: Mapping[str, int]
    total: Decimal

    @property
    def goods(self) -> Decimal:
        return sum(
            (self.unit_prices[line] * quantity for line, quantity in self.quantities.items()),
            Decimal(0),
        )

    def value_of(self, units: Mapping[str, int]) -> Decimal:
        return sum(
            (self.unit_prices[line] * quantity for line, quantity in units.items()), Decimal(0)
        )

    def due(self, shipped: Mapping[str, int]) -> Decimal:
        """What the units shipped so far owe, shipping and discount spread over them."""
        goods, value = self.goods, self.value_of(shipped)
        if not any(shipped.values()):
            return Decimal(0)
        if goods == 0:
            return self.total
        return round_minor(value * self.total / goods, self.currency)


def capture_for(
    amounts: OrderAmounts, shipped_before: Mapping[str, int], shipment: Mapping[str, int]
) -> Decimal:
    """The amount a shipment of `shipment` units captures, after `shipped_before` units."""
    after = dict(shipped_before)
    for line, quantity in shipment.items():
        after[line] = after.get(line, 0) + quantity
    return amounts.due(after) - amounts.due(shipped_before)


def round_minor(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding=ROUND_HALF_EVEN)
