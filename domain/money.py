"""Exact money: a Decimal amount in a currency with a known number of minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 minor units of the currencies dom accepts. A currency missing here
# is refused rather than guessed, because a wrong exponent corrupts every sum.
MINOR_UNITS: dict[str, int] = {
    "AED": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
    "CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0,
    "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MAD": 2, "MXN": 2, "MYR": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2, "PLN": 2, "QAR": 2,
    "RON": 2, "RSD": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3,
    "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip


class MoneyError(ValueError):
    pass


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse a decimal string exactly, refusing more decimals than the currency has."""
    if currency not in MINOR_UNITS:
        raise MoneyError(f"unsupported currency {currency!r}")
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        raise MoneyError(f"{text!r} is not a decimal number") from None
    if not amount.is_finite():
        raise MoneyError(f"{text!r} is not a finite amount")
    minor_unit = Decimal(1).scaleb(-MINOR_UNITS[currency])
    try:
        whole = amount.quantize(minor_unit)  # beyond 28 significant digits: InvalidOperation
    except InvalidOperation:
        raise MoneyError(f"{text!r} is too large an amount") from None
    if amount != whole:
        raise MoneyError(f"{text!r} has more than {MINOR_UNITS[currency]} decimals for {currency}")
    return amount


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        return cls(parse_amount(text, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def __str__(self) -> str:
        """The canonical decimal string, with exactly the currency's minor units."""
        places = MINOR_UNITS[self.currency]
        return f"{self.amount.quantize(Decimal(1).scaleb(-places)):f}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")
