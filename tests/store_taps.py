"""A tap on the library's own insert, beneath dom's group commit: one call is one transaction.

Tests count the transactions through it, hold one open to make saves queue up
behind it, or add a fault around the real insert (the database stays real).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from adapters.group_commit import GroupCommitting

Ids = Sequence[int] | None
# tap(insert, events, kwargs): `insert()` runs the library's real insert of `events`.
Tap = Callable[[Callable[[], Ids], Sequence[StoredEvent], dict[str, Any]], Ids]


def tap_inserts(monkeypatch: pytest.MonkeyPatch, recorder: Any, tap: Tap) -> None:
    """Route `recorder`'s transactions (the recorder class beneath GroupCommitting) through `tap`."""
    mro = type(recorder).__mro__
    below = next(
        cls for cls in mro[mro.index(GroupCommitting) + 1 :] if "insert_events" in vars(cls)
    )
    original = vars(below)["insert_events"]

    def insert_events(self: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Ids:
        if self is not recorder:
            inserted: Ids = original(self, stored_events, **kwargs)
            return inserted
        return tap(lambda: original(self, stored_events, **kwargs), stored_events, kwargs)

    monkeypatch.setattr(below, "insert_events", insert_events)
