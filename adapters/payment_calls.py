"""Calling a payment provider so that money moves once: the call's idempotency key is
derived from what it is for, a timeout is followed by asking the provider what became
of that key, and only a call the provider never saw is made again, with backoff
(tenacity), a bounded number of times. A decline is an answer, not a fault: it is not
retried."""

from __future__ import annotations

from collections.abc import Callable

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from domain.payments.provider_port import Movement, PaymentProvider, ProviderTimeout

ATTEMPTS = 4


def idempotency_key(operation: str, payment_id: str, what: str) -> str:
    """`capture:<payment>:<shipment>`: the same capture, however often it is tried."""
    return f"{operation}:{payment_id}:{what}"


def call_once(
    provider: PaymentProvider,
    key: str,
    call: Callable[[], Movement],
    attempts: int = ATTEMPTS,
    wait_seconds: float = 0.05,
) -> Movement:
    """`call` (which passes `key` to the provider) until answered; after a timeout the
    provider's own record of `key` answers first. ProviderTimeout after `attempts`."""
    tried = False

    def attempt() -> Movement:
        nonlocal tried
        if tried and (done := provider.status(key)) is not None:
            return done  # the answer was lost, not the movement
        tried = True
        return call()

    retrying = Retrying(
        retry=retry_if_exception_type(ProviderTimeout),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait_seconds, max=2),
        reraise=True,
    )
    return retrying(attempt)
