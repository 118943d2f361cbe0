"""Settings refuse values out of their range when dom starts, not at the first request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings


def test_the_key_cache_lasts_from_zero_to_sixty_seconds(monkeypatch: pytest.MonkeyPatch):
    assert Settings().key_cache_seconds == 5.0
    monkeypatch.setenv("DOM_KEY_CACHE_SECONDS", "0")
    assert Settings().key_cache_seconds == 0
    for wrong in ("-1", "61", "soon"):
        monkeypatch.setenv("DOM_KEY_CACHE_SECONDS", wrong)
        with pytest.raises(ValidationError):
            Settings()
