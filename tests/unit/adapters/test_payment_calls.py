"""Money moves once: a provider timeout then a retry captures once, a lost answer is
resolved by asking the provider, a decline is not retried; checked against the built-in
provider's own ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.payment_calls import call_once, idempotency_key
from adapters.payments_builtin import BuiltinProvider
from domain.payments.provider_port import ProviderDeclined, ProviderTimeout


def authorised(provider: BuiltinProvider, amount: str = "100.00") -> str:
    return provider.authorise("auth:p1", Decimal(amount), "EUR", "tok_visa").reference


def capture(provider: BuiltinProvider, reference: str, shipment: str, amount: str) -> object:
    key = idempotency_key("capture", "p1", shipment)
    return call_once(provider, key, lambda: provider.capture(
        key, reference, Decimal(amount), "EUR"), wait_seconds=0)  # fmt: skip


def test_a_timeout_then_a_retry_captures_once():
    provider = BuiltinProvider()
    reference = authorised(provider)
    provider.fail_next("capture", "timeout")
    capture(provider, reference, "ship-1", "30.00")
    assert provider.authorisations[reference].captured == Decimal("30.00")
    assert provider.calls["capture"] == 2


def test_a_lost_answer_is_resolved_by_asking_not_by_capturing_again():
    provider = BuiltinProvider()
    reference = authorised(provider)
    provider.fail_next("capture", "lost")
    movement = capture(provider, reference, "ship-1", "30.00")
    assert provider.authorisations[reference].captured == Decimal("30.00")
    assert provider.calls["capture"] == 1  # asked, not called again
    assert movement == provider.status(idempotency_key("capture", "p1", "ship-1"))


def test_the_same_capture_sent_again_later_moves_nothing():
    provider = BuiltinProvider()
    reference = authorised(provider)
    first = capture(provider, reference, "ship-1", "30.00")
    assert capture(provider, reference, "ship-1", "30.00") == first
    assert provider.authorisations[reference].captured == Decimal("30.00")


def test_a_decline_is_an_answer_and_is_not_retried():
    provider = BuiltinProvider()
    reference = authorised(provider, "10.00")
    with pytest.raises(ProviderDeclined):
        capture(provider, reference, "ship-1", "10.01")
    assert provider.calls["capture"] == 1
    with pytest.raises(ProviderDeclined):
        provider.authorise("auth:p2", Decimal(1), "EUR", "decline_insufficient_funds")


def test_a_provider_that_never_answers_is_given_up_on_after_bounded_attempts():
    provider = BuiltinProvider()
    reference = authorised(provider)
    provider.fail_next("capture", "timeout", times=10)
    with pytest.raises(ProviderTimeout):
        capture(provider, reference, "ship-1", "30.00")
    assert provider.calls["capture"] == 4
    assert provider.authorisations[reference].captured == 0


def test_refunds_never_exceed_captures_at_the_provider_either():
    provider = BuiltinProvider()
    reference = authorised(provider)
    capture(provider, reference, "ship-1", "30.00")
    provider.refund("refund:p1:r1", reference, Decimal("30.00"), "EUR")
    with pytest.raises(ProviderDeclined):
        provider.refund("refund:p1:r2", reference, Decimal("0.01"), "EUR")
