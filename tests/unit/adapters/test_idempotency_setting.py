"""DOM_IDEMPOTENCY_HOURS is range-checked: keys are kept at least a day."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings


def test_keys_are_kept_a_day_unless_told_longer(monkeypatch: pytest.MonkeyPatch):
    assert Settings().idempotency_hours == 24
    monkeypatch.setenv("DOM_IDEMPOTENCY_HOURS", "72")
    assert Settings().idempotency_hours == 72


@pytest.mark.parametrize("hours", ["23.5", "0", "-1", "100000", "nan"])
def test_fewer_than_24_hours_or_absurd_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, hours: str
):
    monkeypatch.setenv("DOM_IDEMPOTENCY_HOURS", hours)
    with pytest.raises(ValidationError):
        Settings()
