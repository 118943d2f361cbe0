"""The Payment aggregate: authorised payments captured per shipment and voided, pending
ones paid by incoming money (under and over), refunds never beyond what was collected,
failure and expiry; every step idempotent on what identifies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import Conflict, InvalidTransition
from domain.payments.payment import Payment, payment_id_for

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def a_card_payment(amount: str = "100.00", days: int = 7) -> Payment:
    return Payment(order_id="order-1", channel="webshop", channel_order_id="W-1", method="card", amount=Decimal(amount), currency="EUR",
                   provider="builtin", reference="auth-1", status="authorised",
                   expires_at=NOW + timedelta(days=days), due_on=None, at=NOW)  # fmt: skip


def a_transfer(amount: str = "50.00") -> Payment:
    return Payment(order_id="order-1", channel="webshop", channel_order_id="W-1", method="bank_transfer", amount=Decimal(amount),
                   currency="EUR", provider="bank", reference="RF18539007547034",
                   status="pending", expires_at=None, due_on="2026-12-15", at=NOW)  # fmt: skip


def names(payment: Payment) -> list[str]:
    return [type(e).__name__ for e in payment.collect_events()]


def test_the_same_report_of_a_payment_is_one_payment():
    assert a_card_payment().id == payment_id_for("order-1", "BUILTIN", "auth-1")
    assert a_card_payment().id != payment_id_for("order-2", "builtin", "auth-1")


def test_captures_per_shipment_once_each_then_the_rest_is_voided():
    payment = a_card_payment()
    assert payment.capture("ship-1", Decimal("30.00"), NOW)
    assert not payment.capture("ship-1", Decimal("30.00"), NOW)  # the same news again
    with pytest.raises(Conflict):
        payment.capture("ship-1", Decimal("31.00"), NOW)
    assert payment.capture("ship-2", Decimal("45.50"), NOW)
    assert (payment.status, payment.captured, payment.capturable) == (
        "captured", Decimal("75.50"), Decimal("24.50"))  # fmt: skip
    assert payment.void("order complete", NOW)
    assert not payment.void("order complete", NOW)
    assert payment.capturable == 0
    assert names(payment) == ["Opened", "Captured", "Captured", "Voided"]


def test_a_capture_beyond_the_authorisation_or_after_expiry_is_refused():
    payment = a_card_payment("10.00", days=7)
    with pytest.raises(Conflict):
        payment.capture("ship-1", Decimal("10.01"), NOW)
    with pytest.raises(InvalidTransition):
        payment.capture("ship-1", Decimal("5.00"), NOW + timedelta(days=7))
    assert payment.captured == 0


def test_refunds_never_exceed_what_was_captured_less_refunded():
    payment = a_card_payment()
    payment.capture("ship-1", Decimal("40.00"), NOW)
    assert payment.refund("r-1", Decimal("25.00"), "cancelled line", NOW)
    assert not payment.refund("r-1", Decimal("25.00"), "cancelled line", NOW)
    with pytest.raises(Conflict):
        payment.refund("r-2", Decimal("15.01"), "too much", NOW)
    assert payment.refund("r-2", Decimal("15.00"), "the rest", NOW)
    with pytest.raises(Conflict):
        payment.refund("r-3", Decimal("0.01"), "nothing left", NOW)
    assert payment.refunded == Decimal("40.00")


def test_a_pending_transfer_is_paid_by_incoming_money_under_and_over():
    payment = a_transfer("50.00")
    assert payment.receive("entry-1", Decimal("20.00"), NOW)
    assert (payment.status, payment.outstanding) == ("pending", Decimal("30.00"))
    assert not payment.receive("entry-1", Decimal("20.00"), NOW)  # the statement again
    assert payment.receive("entry-2", Decimal("35.00"), NOW)
    assert (payment.status, payment.outstanding, payment.surplus) == (
        "paid", Decimal(0), Decimal("5.00"))  # fmt: skip
    assert payment.refund("surplus", Decimal("5.00"), "overpaid", NOW)
    with pytest.raises(Conflict):
        payment.refund("more", Decimal("50.01"), "too much", NOW)


def test_money_is_not_received_on_a_card_and_not_captured_on_a_transfer():
    with pytest.raises(InvalidTransition):
        a_card_payment().receive("entry-1", Decimal("1.00"), NOW)
    with pytest.raises(InvalidTransition):
        a_transfer().capture("ship-1", Decimal("1.00"), NOW)


def test_an_authorisation_expires_once_past_its_time_and_a_failed_one_stays_failed():
    payment = a_card_payment(days=7)
    assert not payment.expire(NOW + timedelta(days=6))
    assert payment.expire(NOW + timedelta(days=7))
    assert not payment.expire(NOW + timedelta(days=8))
    assert payment.status == "expired"
    declined = a_card_payment()
    assert declined.fail("declined", NOW) and not declined.fail("declined", NOW)
    assert (declined.status, declined.reason) == ("failed", "declined")
    with pytest.raises(InvalidTransition):
        declined.capture("ship-1", Decimal("1.00"), NOW)


def test_a_payment_that_collected_money_cannot_fail():
    payment = a_card_payment()
    payment.capture("ship-1", Decimal("1.00"), NOW)
    with pytest.raises(InvalidTransition):
        payment.fail("too late", NOW)
