"""An order the channel's payment rule holds: placed held, released when its money is in,
other holds kept; the rule itself per method and cap."""

from __future__ import annotations

from dataclasses import replace

from domain.orders.order import Order, OrderStatus
from domain.orders.payment_report import DEFAULT_RULES, PaymentReport, waits_for_payment
from tests.builders import NOW, an_order

TRANSFER = PaymentReport(method="bank_transfer", amount="10.00")


def test_a_held_order_is_released_when_the_money_is_in_and_keeps_other_holds():
    order = Order.place(replace(an_order(), waits_for_payment=True), NOW)
    assert (order.status, order.holds) == (OrderStatus.HELD, ["payment_pending"])
    order.hold("fraud check", NOW)
    assert order.lift_hold("payment_pending", NOW)
    assert (order.status, order.holds) == (OrderStatus.HELD, ["fraud check"])
    assert not order.lift_hold("payment_pending", NOW)  # the news again: nothing
    assert order.lift_hold("fraud check", NOW)
    assert order.status is OrderStatus.RELEASED
    names = [type(e).__name__ for e in order.collect_events()]
    assert names == ["Placed", "Held", "Held", "HoldLifted", "Released"]


def test_the_rule_per_method_and_cap():
    assert waits_for_payment(DEFAULT_RULES, TRANSFER, "10.00")
    assert not waits_for_payment(DEFAULT_RULES, None, "10.00")
    invoice = PaymentReport(method="invoice", amount="10.00")
    assert not waits_for_payment(DEFAULT_RULES, invoice, "1000.00")
    assert waits_for_payment(DEFAULT_RULES, invoice, "1000.01")
    assert not waits_for_payment({"bank_transfer": {"ships_unpaid": True}}, TRANSFER, "5")
