"""Faults on the real stores, beneath dom's group commit.

- A tap on the library's own insert (one call is one transaction): tests count
  the transactions through it, hold one open so that saves queue up behind it,
  or add a fault around the real insert.
- A write lock held by another session, as a stuck writer holds it: inserts
  wait the store timeout, then fail as the store being away.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from adapters.group_commit import GroupCommitting
from adapters.settings import Settings

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


@contextmanager
def locked_for_writes(app: Application[Any], settings: Settings) -> Iterator[None]:
    """Hold the write lock of `app`'s events from another session (reads still pass)."""
    conn: Any
    if settings.mode == "sqlite":
        conn = sqlite3.connect(settings.data_dir / f"{app.name}.sqlite", isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
    else:
        recorder: Any = app.recorder
        conn = psycopg.connect(str(settings.database_url))
        conn.execute(f"LOCK TABLE {recorder.events_table_name} IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()
