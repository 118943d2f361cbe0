from decimal import Decimal

import pytest

from domain.money import Money, MoneyError, parse_amount


def test_amounts_are_exact_decimals():
    assert Money.parse("0.10", "EUR").times(3) == Money(Decimal("0.30"), "EUR")


def test_canonical_text_has_the_currency_minor_units():
    assert str(Money.parse("5.5", "EUR")) == "5.50"
    assert str(Money.parse("1500", "JPY")) == "1500"
    assert str(Money.parse("1.5", "KWD")) == "1.500"


def test_currencies_do_not_mix():
    with pytest.raises(MoneyError):
        Money.parse("1", "EUR") + Money.parse("1", "USD")


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1.001"])
def test_bad_amounts_are_refused(text):
    with pytest.raises(MoneyError):
        parse_amount(text, "EUR")


@pytest.mark.parametrize("text", ["1e30", "123456789012345678901234567890", "1e999999"])
def test_amounts_too_large_for_exact_arithmetic_are_refused_as_bad_input(text):
    with pytest.raises(MoneyError, match="too large"):
        parse_amount(text, "EUR")
