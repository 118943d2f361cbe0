"""The port to a payment provider: what dom asks of every provider adapter.

Every call carries an idempotency key derived from what the call is for
(`capture:<payment id>:<shipment id>`), so that a call repeated after a timeout moves
money at most once, as providers promise for a repeated key. When an answer is lost
(the call timed out, or the process died after sending it), dom asks the provider what
became of that key (`status`) before it calls again. Implementations live in
`adapters/` (the built-in one, `adapters.payments_builtin`, needs no outside system).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class ProviderTimeout(Exception):
    """No answer in time: the money may or may not have moved. Ask `status`."""


class ProviderDeclined(Exception):
    """The provider refused (card declined, authorisation expired, too much)."""


@dataclass(frozen=True)
class Movement:
    """What the provider did for an idempotency key."""

    key: str
    operation: str  # authorise, capture, void, refund
    reference: str  # the authorisation it concerns
    amount: Decimal
    currency: str
    provider_id: str  # the provider's own id for the movement


class PaymentProvider(Protocol):
    def authorise(self, key: str, amount: Decimal, currency: str, token: str) -> Movement:
        """Hold `amount` on the customer's card or wallet (`token`)."""

    def capture(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        """Take `amount` of the authorisation `reference`."""

    def void(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        """Let go of what is left of the authorisation."""

    def refund(self, key: str, reference: str, amount: Decimal, currency: str) -> Movement:
        """Give back `amount` of what was captured."""

    def status(self, key: str) -> Movement | None:
        """What the provider did for `key`; None: nothing (the call never arrived)."""
