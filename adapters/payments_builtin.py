"""The built-in payment provider: for tests and the demo, it behaves like a real one.

It keeps a ledger of authorisations and the money moved against them, refuses what a
real provider refuses (capturing more than authorised, refunding more than captured,
an unknown or voided authorisation), and answers a repeated idempotency key with the
first answer without moving money again. Faults are scheduled the way a test needs
them: `fail_next("capture", "timeout")` makes the next capture time out before
anything moves, `"lost"` moves the money and then times out (the answer is lost),
`"decline"` refuses, `"slow"` answers after `slow_seconds`. Cards whose token starts
with `decline` are always declined, as test cards are.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from domain.payments.provider_port import Movement, ProviderDeclined, ProviderTimeout

FAULTS = ("timeout", "lost", "decline", "slow")


@dataclass
class Authorisation:
    amount: Decimal
    currency: str
    captured: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    voided: bool = False


@dataclass
class BuiltinProvider:
    slow_seconds: float = 0.5
    ledger: dict[str, Movement] = field(default_factory=dict)  # idempotency key -> movement
    authorisations: dict[str, Authorisation] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per operation
    _faults: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, operation: str, fault: str, times: int = 1) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self._faults[operation].extend([fault] * times)

    def authorise(self, key: str, amount: Decimal, currency: str, token: str) -> Movement:
        def move() -> Movement:
            if token.startswith("decline"):
                raise ProviderDeclined("card declined")
            reference = f"auth_{uuid.uuid4().hex[:16]}"
            self.authorisations[reference] = Authorisation(amount, currency)
            return Movement(key, "authorise", reference, amount, currency, reference)

        return self._call("authorise", key, move)

    def capture(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        def move() -> Movement:
            held = self._held(reference, currency)
            if amount > held.amount - held.captured:
                raise ProviderDeclined(f"capture of {amount} exceeds what is authorised")
            held.captured += amount
            return self._moved(key, "capture", reference, amount, currency)

        return self._call("capture", key, move)

    def void(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        def move() -> Movement:
            self._held(reference, currency).voided = True
            return self._moved(key, "void", reference, amount, currency)

        return self._call("void", key, move)

    def refund(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        def move() -> Movement:
            held = self.authorisations.get(reference)
            if held is None or amount > held.captured - held.refunded:
                raise ProviderDeclined(f"refund of {amount} exceeds what was captured")
            held.refunded += amount
            return self._moved(key, "refund", reference, amount, currency)

        return self._call("refund", key, move)

    def status(self, key: str) -> Movement | None:
        with self._lock:
            return self.ledger.get(key)

    def _call(self, operation: str, key: str, move: Callable[[], Movement]) -> Movement:
        with self._lock:
            self.calls[operation] += 1
            fault = self._faults[operation].popleft() if self._faults[operation] else None
            if key in self.ledger:  # a repeated key: the first answer, nothing moves
                return self.ledger[key]
            if fault == "timeout":
                raise ProviderTimeout(f"{operation} timed out")
            if fault == "decline":
                raise ProviderDeclined(f"{operation} declined")
            movement: Movement = move()
            self.ledger[key] = movement
        if fault == "lost":
            raise ProviderTimeout(f"{operation} timed out (the money moved)")
        if fault == "slow":
            time.sleep(self.slow_seconds)
        return movement

    def _held(self, reference: str, currency: str) -> Authorisation:
        held = self.authorisations.get(reference)
        if held is None or held.voided or held.currency != currency:
            raise ProviderDeclined(f"no open authorisation {reference} in {currency}")
        return held

    @staticmethod
    def _moved(
        key: str, operation: str, reference: str, amount: Decimal, currency: str
    ) -> Movement:
        return Movement(
            key, operation, reference, amount, currency, f"{operation}_{uuid.uuid4().hex[:16]}"
        )
