"""ISO 11649 creditor references: made with their check digits, read back as people
write them, and a mistyped one is not taken for someone else's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.payments.reference import creditor_reference, read_creditor_reference


def test_the_standards_example_is_made_and_read():
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert read_creditor_reference("RF18 5390 0754 7034") == "RF18539007547034"
    assert read_creditor_reference("rf18 5390 0754 7034") == "RF18539007547034"


def test_a_mistyped_reference_or_other_text_is_not_a_reference():
    assert read_creditor_reference("RF18 5390 0754 7043") is None  # two digits swapped
    assert read_creditor_reference("RF19 5390 0754 7034") is None
    assert read_creditor_reference("invoice 2026-12") is None
    assert read_creditor_reference("RF18") is None


def test_a_body_that_is_not_letters_and_digits_is_refused():
    for body in ("", "A-1", "X" * 22):
        try:
            creditor_reference(body)
        except ValueError:
            continue
        raise AssertionError(f"{body!r} was accepted")


@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21))
def test_every_reference_made_reads_back_and_any_one_mistyped_digit_is_caught(body: str):
    made = creditor_reference(body)
    assert read_creditor_reference(made) == made
    for at in range(2, len(made)):  # MOD 97-10 catches every single-digit substitution
        if made[at].isdigit():
            changed = made[:at] + str((int(made[at]) + 1) % 10) + made[at + 1 :]
            assert read_creditor_reference(changed) is None
