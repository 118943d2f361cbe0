"""How an order is paid, as its channel reports it with the order, and whether the
channel's rule lets it ship before the money is there.

The report is checked and recorded with the order (`placed["payment"]`); the payments
context follows the placement and opens the Payment from it. The rule is the
channel's (`ChannelDefinition.payment_rules`, per method): `ships_unpaid` says whether
an order paid this way is released at once (a card authorised, cash at the door) or
held with the reason `payment_pending` until its money is in (a bank transfer paid in
advance); `up_to` caps the order total that may ship unpaid (an invoice up to 1,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import Problems
from domain.money import MoneyError, parse_amount

AUTHORISED = ("card", "wallet", "marketplace")  # the money is held by the provider already
PENDING = ("bank_transfer", "invoice", "cash_on_delivery")  # the money comes later
METHODS = AUTHORISED + PENDING
PAYMENT_PENDING = "payment_pending"
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "card": {"ships_unpaid": True},
    "wallet": {"ships_unpaid": True},
    "marketplace": {"ships_unpaid": True},
    "bank_transfer": {"ships_unpaid": False},
    "invoice": {"ships_unpaid": True, "up_to": "1000"},
    "cash_on_delivery": {"ships_unpaid": True},
}


@dataclass(frozen=True)
class PaymentReport:
    method: str
    amount: str
    provider: str = ""
    reference: str | None = None  # the provider's; for a transfer, dom gives one if none
    expires_at: datetime | None = None  # when an authorisation lapses
    due_on: str | None = None  # ISO date an invoice is due


def normalise_payment(
    report: PaymentReport, currency: str, total: Decimal, placed_at: datetime, problems: Problems
) -> dict[str, Any] | None:
    """The report's canonical form, or None with the problems named."""
    if report.method not in METHODS:
        problems.add("payment.method", f"one of {', '.join(METHODS)}")
        return None
    try:
        amount = parse_amount(report.amount, currency)
    except MoneyError as error:
        problems.add("payment.amount", str(error))
        return None
    if not 0 < amount <= total:
        problems.add("payment.amount", f"more than 0 and at most the order's total, {total}")
    if report.method in AUTHORISED and not (report.provider and report.reference):
        problems.add(
            "payment.reference", f"a {report.method} payment names its provider and reference"
        )
    if report.expires_at is not None and report.expires_at <= placed_at:
        problems.add("payment.expires_at", "after the order was placed")
    if report.due_on is not None and _date(report.due_on) is None:
        problems.add("payment.due_on", "a date, YYYY-MM-DD")
    recorded: dict[str, Any] = {"method": report.method, "amount": str(amount),
                                "provider": report.provider or "bank"}  # fmt: skip
    if report.reference:
        recorded["reference"] = report.reference
    if report.expires_at is not None:
        recorded["expires_at"] = report.expires_at.astimezone(UTC)
    if report.due_on is not None:
        recorded["due_on"] = report.due_on
    return recorded


def rule_problems(rules: dict[str, dict[str, Any]], problems: Problems) -> None:
    for method, rule in rules.items():
        if method not in METHODS:
            problems.add(f"payment_rules.{method}", f"one of {', '.join(METHODS)}")
            continue
        if set(rule) - {"ships_unpaid", "up_to"} or not isinstance(rule.get("ships_unpaid"), bool):
            problems.add(f"payment_rules.{method}", "{ships_unpaid: true|false, up_to?: amount}")
        elif rule.get("up_to") is not None and _decimal(rule["up_to"]) is None:
            problems.add(f"payment_rules.{method}.up_to", "a non-negative decimal amount")


def waits_for_payment(rules: dict[str, dict[str, Any]], payment: PaymentReport | None,
                      total: str) -> bool:  # fmt: skip
    """Whether the order is held until its money is in. No report: it ships (the channel
    collects, as marketplaces do)."""
    if payment is None:
        return False
    rule = rules.get(payment.method) or DEFAULT_RULES.get(payment.method, {"ships_unpaid": True})
    if not rule["ships_unpaid"]:
        return True
    cap = _decimal(rule.get("up_to"))
    order_total = _decimal(total)
    return cap is not None and order_total is not None and order_total > cap


def _decimal(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        return None
    return value if value.is_finite() and value >= 0 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
