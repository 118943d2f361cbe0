"""ISO 11649 creditor references ("RF18 5390 0754 7034"): what dom gives a customer who
pays by bank transfer, and what it finds again in the remittance information of a bank
statement. The check digits are ISO 7064 MOD 97-10, as in an IBAN: a mistyped
reference is recognised as one instead of being matched to someone else's order."""

from __future__ import annotations

import re

BODY = re.compile(r"[0-9A-Z]{1,21}")
WRITTEN = re.compile(r"RF[0-9]{2}[0-9A-Z]{1,21}")


def creditor_reference(body: str) -> str:
    """`RF`, two check digits and `body` (1 to 21 letters and digits, case-insensitive)."""
    body = body.upper()
    if not BODY.fullmatch(body):
        raise ValueError(f"{body!r} is not 1 to 21 letters and digits")
    check = 98 - _mod97(body + "RF00")
    return f"RF{check:02d}{body}"


def read_creditor_reference(text: str) -> str | None:
    """The reference written in `text` (spaces and case as people write them), when its
    check digits hold; None otherwise."""
    compact = re.sub(r"\s+", "", text).upper()
    if not WRITTEN.fullmatch(compact):
        return None
    return compact if _mod97(compact[4:] + compact[:4]) == 1 else None


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97
