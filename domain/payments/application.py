"""The payments context: payments opened from orders (payments_policy), money coming in
from bank statements, and what followers need to read. Its own event table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.payments.matching import Match
from domain.payments.payment import Payment
from domain.processing import ContextApplication, Outcome, Unit


@dataclass
class Received:
    """What an import did: entries recorded, seen before, or left for a person."""

    recorded: list[Match] = field(default_factory=list)
    duplicates: list[Match] = field(default_factory=list)
    unmatched: list[Match] = field(default_factory=list)
    position: int | None = None


class Payments(ContextApplication):
    name = "payments"

    def receive_money(self, matches: list[Match], now: datetime) -> Received:
        """Record each matched entry on its payment, all in one transaction; an entry
        recorded before changes nothing (a statement imported twice)."""
        done = Received()

        def work(unit: Unit) -> None:
            done.recorded, done.duplicates, done.unmatched = [], [], []
            for match in matches:
                payment = unit.get(Payment, UUID(match.payment_id)) if match.payment_id else None
                if payment is None or match.outcome == "other_currency":
                    done.unmatched.append(match)
                elif payment.receive(match.entry.entry_id, match.entry.amount, now):
                    done.recorded.append(match)
                else:
                    done.duplicates.append(match)

        outcome: Outcome = self.act(work)
        done.position = outcome.notification_id
        return done
