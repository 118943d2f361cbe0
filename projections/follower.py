"""What drives a projection: read the upstream log after the tracked position,
apply a batch, advance the position, all in one read-model transaction.

The tracking row is locked (PostgreSQL `FOR UPDATE`; in SQLite a no-op
update takes the single write lock first) and read inside the same
transaction that applies the batch, so two processes driving one projection
never apply an event twice: the second waits, then sees the advanced
position. A crash at any point rolls the whole batch back, position included.

A batch that fails is tried again event by event, so the events before a
bad one are applied; the bad one stalls this projection alone (see
projections/health.py). A rebuild fills a shadow of the view's tables and
swaps it in (adapters/shadow.py), so readers never see the view emptier.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic

from adapters.readstore import ReadStore, Sql
from adapters.shadow import shadow_of
from projections.health import ATTEMPTS, Watch, attempts, describe, transient

BATCH_SIZE = 500


class Projection(Protocol):
    name: str
    upstream: str
    tables: tuple[str, ...]

    @property
    def topics(self) -> Sequence[type | str]:
        """The events it applies (others in the upstream log are not read)."""

    def apply(self, sql: Sql, events: Sequence[Any]) -> None: ...


class RebuildFailed(RuntimeError):
    """An event could not be applied while rebuilding; the live view was left as it was."""


class Follower:
    """Drives one projection from one upstream application's event log."""

    def __init__(self, projection: Projection, source: Application[Any], store: ReadStore) -> None:
        self.projection = projection
        self.source = source
        self.store = store
        self.key = f"{projection.name}<-{projection.upstream}"
        self.topics = [k if isinstance(k, str) else get_topic(k) for k in projection.topics]
        self.topic_set = frozenset(self.topics)
        self.watch = Watch(projection.name, store)
        self._lock = threading.Lock()
        self._known = 0  # a lower bound of the stored position: what this process last saw
        self._reading: list[Notification] = []  # the batch being applied
        self._suspect_until = 0  # a batch up to here failed: apply its events one by one
        with store.transaction() as sql:
            store.lock_position(sql, self.key)  # creates the tracking row

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def known(self) -> int:
        return self._known

    def position(self) -> int:
        self._known = max(self._known, self.store.position(self.key))
        return self._known

    def catch_up(self, batch_size: int = BATCH_SIZE, target: int | None = None) -> int:
        """Apply what is recorded upstream (up to `target` at least); returns events applied.

        Stops after a batch that was not full, when stalled, or when the store
        does not answer after a few attempts: never raises for those.
        """
        if self.watch.stalled:
            return 0
        if target is None:
            latest = attempts(self.source.recorder.max_notification_id, self.watch.failing)
            if latest is None or latest <= self._known:
                return 0  # idle (no write, no lock), or the store is away
        applied = 0
        with self._lock:
            while target is None or self._known < target:
                outcome = self._next(batch_size)
                if outcome is None:
                    break
                count, size = outcome
                applied += count
                if count < size:
                    # Nothing more of interest upstream: the events up to the target are
                    # of other kinds, so the view is as current as the target.
                    self._known = max(self._known, target or 0)
                    break
        return applied

    def ensure(self, notification_id: int | None) -> bool:
        """Drive the projection up to a position; True once it has applied it."""
        if notification_id is not None and self._known < notification_id:
            self.catch_up(target=notification_id)
        return notification_id is None or self._known >= notification_id

    def skip_to(self, notification_id: int) -> None:
        """Nothing this projection applies lies before `notification_id` (the caller read
        the log): it is as current as that position without a transaction."""
        if not self.watch.stalled:
            self._known = max(self._known, notification_id)

    def _next(self, batch_size: int) -> tuple[int, int] | None:
        """One batch with bounded attempts: (applied, batch size asked), or None when
        stalled or the store is away. After a batch fails, its events are applied one
        by one until the one at fault is found."""
        failures = 0
        while True:
            size = 1 if self._known < self._suspect_until else batch_size
            try:
                count = self._apply_next_batch(size)
            except Exception as error:
                failures += 1
                if transient(error):
                    if failures >= ATTEMPTS:
                        self.watch.failing(error)
                        return None
                elif size > 1 and self._reading:
                    self._suspect_until = self._reading[-1].id
                elif failures >= 2 or not self._reading:
                    first = self._reading[0] if self._reading else None
                    at = (first.id, first.topic) if first is not None else (None, None)
                    self.watch.stall(error, *at)
                    return None
                continue
            self.watch.ok(self._known)
            return count, size

    def _apply_next_batch(self, batch_size: int) -> int:
        self._reading = []
        with self.store.transaction() as sql:
            position = self.store.lock_position(sql, self.key)
            notifications = self.source.recorder.select_notifications(
                start=position, limit=batch_size, inclusive_of_start=False, topics=self.topics
            )
            if not notifications:
                self._known = max(self._known, position)
                return 0
            self._reading = list(notifications)
            self.projection.apply(
                sql, [self.source.mapper.to_domain_event(n) for n in notifications]
            )
            self.store.record_position(sql, Tracking(self.key, notifications[-1].id))
        self._known = notifications[-1].id
        return len(notifications)

    def wait_for(self, notification_id: int | None, timeout: float) -> bool:
        """Wait (without driving) until another process has applied the position."""
        deadline = time.monotonic() + timeout
        while notification_id is not None and self.position() < notification_id:
            if not self._relevant(self._known, notification_id):
                return True  # what lies between is of no interest to this view
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _relevant(self, after: int, up_to: int) -> bool:
        found = self.source.recorder.select_notifications(
            start=after, stop=up_to, limit=1, inclusive_of_start=False, topics=self.topics
        )
        return bool(found)

    def rebuild(self, batch_size: int = BATCH_SIZE) -> int:
        """Replay the whole upstream log into a shadow of the view, then swap it in.

        The live view keeps serving (and following) meanwhile; the swap
        replaces its rows, applies what arrived during the rebuild and moves
        the position, in one transaction. Raises RebuildFailed, leaving the
        live view untouched, when an event cannot be applied.
        """
        applied, position = 0, 0
        with shadow_of(self.store, self.projection.name, self.projection.tables) as shadow:
            while batch := self._select(position, batch_size):
                try:
                    with shadow.transaction() as sql:
                        self._apply_rebuilding(sql, batch)
                except RebuildFailed:
                    self._pinpoint(shadow, batch)  # raises, naming the event at fault
                    raise
                position, applied = batch[-1].id, applied + len(batch)
            with self._lock, shadow.swap() as sql:
                self.store.lock_position(sql, self.key)
                shadow.replace_live(sql)
                while batch := self._select(position, batch_size):
                    self._apply_rebuilding(sql, batch)
                    position, applied = batch[-1].id, applied + len(batch)
                self.store.set_position(sql, self.key, position)
        self._known = position
        self.watch.ok(position)
        return applied

    def _pinpoint(self, shadow: Any, batch: Sequence[Notification]) -> None:
        """A batch failed while rebuilding: apply it event by event to name the one at fault."""
        for notification in batch:
            try:
                with shadow.transaction() as sql:
                    self.projection.apply(sql, [self.source.mapper.to_domain_event(notification)])
            except Exception as error:
                raise self._failed(notification, error) from error

    def _select(self, position: int, limit: int) -> Sequence[Notification]:
        return self.source.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False, topics=self.topics
        )

    def _apply_rebuilding(self, sql: Sql, batch: Sequence[Notification]) -> None:
        events = []
        for notification in batch:
            try:
                events.append(self.source.mapper.to_domain_event(notification))
            except Exception as error:
                raise self._failed(notification, error) from error
        try:
            self.projection.apply(sql, events)
        except Exception as error:
            first, last = batch[0], batch[-1]
            raise RebuildFailed(
                f"{self.name}: cannot apply the events {first.id} to {last.id}: {describe(error)}"
            ) from error

    def _failed(self, notification: Notification, error: BaseException) -> RebuildFailed:
        return RebuildFailed(
            f"{self.name}: cannot apply notification {notification.id} "
            f"({notification.topic}): {describe(error)}"
        )
