"""Matching incoming money to the payments that wait for it.

A bank statement's credit entry is matched by what the customer was asked to write:
the creditor reference dom gave (structured, or anywhere in the free text, in any
spacing), else the channel's order id in the free text. Then the amount decides:
exact, underpaid (the payment stays pending; the remainder is shown), or overpaid
(the surplus is recorded to be given back). An entry nobody waits for is unmatched
and listed for someone to match by hand; an entry seen before is a duplicate and
changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from domain.payments.reference import read_creditor_reference

RF_START = re.compile(r"\bRF\d\d", re.IGNORECASE)


@dataclass(frozen=True)
class IncomingEntry:
    """One booked credit on a statement."""

    entry_id: str  # the bank's reference for it (or statement id and position)
    amount: Decimal
    currency: str
    booked_on: str  # ISO date
    debtor: str = ""
    remittance: tuple[str, ...] = ()  # unstructured lines
    reference: str | None = None  # the structured creditor reference, as written


@dataclass(frozen=True)
class Waiting:
    """A pending payment as the matcher sees it."""

    payment_id: str
    reference: str  # the creditor reference dom gave
    channel_order_id: str
    currency: str
    outstanding: Decimal


@dataclass(frozen=True)
class Match:
    entry: IncomingEntry
    payment_id: str | None  # None: unmatched
    outcome: str  # exact, underpaid, overpaid, unmatched, other_currency
    difference: Decimal = Decimal(0)  # underpaid: still to come; overpaid: the surplus


@dataclass
class Matcher:
    """Holds the waiting payments by reference and by channel order id; `match` keeps
    what each entry already paid, so two entries for one payment see each other."""

    waiting: Iterable[Waiting]
    by_reference: dict[str, Waiting] = field(init=False)
    by_order: dict[str, Waiting] = field(init=False)
    outstanding: dict[str, Decimal] = field(init=False)

    def __post_init__(self) -> None:
        items = list(self.waiting)
        self.by_reference = {w.reference.upper(): w for w in items}
        self.by_order = {w.channel_order_id.upper(): w for w in items if w.channel_order_id}
        self.outstanding = {w.payment_id: w.outstanding for w in items}

    def match(self, entry: IncomingEntry) -> Match:
        found = self._find(entry)
        if found is None:
            return Match(entry, None, "unmatched")
        if found.currency != entry.currency:
            return Match(entry, found.payment_id, "other_currency")
        owed = self.outstanding[found.payment_id]
        self.outstanding[found.payment_id] = max(owed - entry.amount, Decimal(0))
        if entry.amount == owed:
            return Match(entry, found.payment_id, "exact")
        if entry.amount < owed:
            return Match(entry, found.payment_id, "underpaid", owed - entry.amount)
        return Match(entry, found.payment_id, "overpaid", entry.amount - owed)

    def _find(self, entry: IncomingEntry) -> Waiting | None:
        for reference in _references(entry):
            if reference in self.by_reference:
                return self.by_reference[reference]
        text = " ".join(entry.remittance).upper()
        for word in re.findall(r"[0-9A-Z][0-9A-Z._/-]*", text):
            if word in self.by_order:
                return self.by_order[word]
        return None


def _references(entry: IncomingEntry) -> list[str]:
    """Every reference with valid check digits written in the entry. In free text a
    reference is written whole or in groups (`RF18 5390 0754 7034`), so each run of
    words after an `RF` and two digits is a candidate."""
    candidates = [entry.reference] if entry.reference else []
    text = " ".join(entry.remittance)
    for start in RF_START.finditer(text):
        written = ""
        for word in text[start.start() :].split()[:7]:
            written += word
            if len(written) > 25:
                break
            candidates.append(written)
    return [r for text in candidates if (r := read_creditor_reference(text)) is not None]


def totals(matches: Iterable[Match]) -> Mapping[str, int]:
    counted: dict[str, int] = {}
    for match in matches:
        counted[match.outcome] = counted.get(match.outcome, 0) + 1
    return counted
