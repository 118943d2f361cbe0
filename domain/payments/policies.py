"""Payments' reactions to orders: a payment reported with an order is opened as the order
is placed. Orders are known here by their published topic and fields only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy
from eventsourcing.utils import get_topic

from domain.orders.published import ORDER_PLACED
from domain.payments.payment import AUTHORISED_METHODS, Payment, payment_id_for
from domain.payments.reference import creditor_reference
from domain.processing import Unit


class WhenOrdersArePlacedOpenPayments:
    name = "payments_policy"
    upstream = "orders"
    topics = (ORDER_PLACED,)

    def react(self, event: Any, unit: Unit) -> None:
        if get_topic(type(event)) != ORDER_PLACED or "payment" not in event.placed:
            return
        placed, order_id = event.placed, str(event.originator_id)
        report = placed["payment"]
        reference = report.get("reference") or reference_for(order_id)
        authorised = report["method"] in AUTHORISED_METHODS
        unit.get(Payment, payment_id_for(order_id, report["provider"], reference), lambda: Payment(
            order_id=order_id, channel=placed["channel"],
            channel_order_id=placed["channel_order_id"], method=report["method"],
            amount=Decimal(report["amount"]), currency=placed["currency"],
            provider=report["provider"], reference=reference,
            status="authorised" if authorised else "pending",
            expires_at=report.get("expires_at"), due_on=report.get("due_on"), at=event.at))  # fmt: skip


def reference_for(order_id: str) -> str:
    """The creditor reference a customer paying by transfer writes: from the order id,
    21 characters at most, so it is the same whoever computes it."""
    return creditor_reference(numpy.base_repr(int(order_id.replace("-", "")[:26], 16), 36))
