"""`dom import payments FILE`: a bank statement's booked credits matched to the payments
that wait for them and recorded, chunk by chunk; the orders they cover are released at
once (the orders policy follows payments). A statement imported twice changes nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.bank_statements import Rejected, read_statement
from api.bootstrap import Container
from domain.payments.matching import IncomingEntry, Match, Matcher, Waiting
from projections.payments import transfers

CHUNK = 1000


@dataclass
class StatementReport:
    outcomes: Counter[str] = field(default_factory=Counter)  # exact, underpaid, overpaid
    duplicates: int = 0
    unmatched: list[Match] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(self.outcomes.values())


def import_payments(dom: Container, path: Path, now: datetime, progress: Any) -> StatementReport:
    """Raises StatementRefused (nothing read) for a file that is hostile or not a statement."""
    report = StatementReport()
    waiting = [Waiting(row["payment_id"], row["reference"], row["channel_order_id"],
                       row["currency"], Decimal(row["amount"]) - Decimal(row["arrived"]))
               for row in transfers(dom.store)]  # fmt: skip
    matcher, chunk = Matcher(waiting), []
    for item in read_statement(path):
        progress.update(1)
        if isinstance(item, Rejected):
            report.rejected.append(item)
            continue
        chunk.append(matcher.match(item))
        if len(chunk) >= CHUNK:
            _record(dom, chunk, now, report)
            chunk = []
    if chunk:
        _record(dom, chunk, now, report)
    return report


def _record(dom: Container, matches: list[Match], now: datetime, report: StatementReport) -> None:
    done = dom.payments.receive_money(matches, now)
    report.outcomes.update(match.outcome for match in done.recorded)
    report.duplicates += len(done.duplicates)
    report.unmatched += done.unmatched
    dom.runtime.settle("payments", done.position)


def describe(entry: IncomingEntry) -> str:
    text = " / ".join(entry.remittance) or entry.reference or "no remittance information"
    return f"{entry.entry_id}: {entry.amount} {entry.currency} on {entry.booked_on} from {entry.debtor or '?'} ({text})"
