"""What drives projections: read the upstream log after the tracked position,
apply a batch, advance the position, all in one read-model transaction.

The tracking row is locked (PostgreSQL `FOR UPDATE`; SQLite's single writer)
and read inside the same transaction that applies the batch, so two
processes driving one projection can never apply an event twice: the second
one either waits and then sees the advanced position, or fails and retries.
A crash at any point rolls the whole batch back, position included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, OperationalError, Tracking
from eventsourcing.utils import get_topic

from adapters.readstore import ReadStore, Sql
from domain.processing import Unit

BATCH_SIZE = 500
SKIP_RECORDED_AFTER = 2000  # events a policy may pass over before its position is stored


class Projection(Protocol):
    name: str
    upstream: str
    tables: tuple[str, ...]

    @property
    def topics(self) -> Sequence[type]:
        """The event classes it applies (others in the upstream log are not read)."""

    def apply(self, sql: Sql, events: Sequence[Any]) -> None: ...


class Follower:
    """Drives one projection from one upstream application's event log."""

    def __init__(self, projection: Projection, source: Application[Any], store: ReadStore) -> None:
        self.projection = projection
        self.source = source
        self.store = store
        self.key = f"{projection.name}<-{projection.upstream}"
        self.topics = [get_topic(kind) for kind in projection.topics]
        self._lock = threading.Lock()
        self._known = 0  # a lower bound of the stored position: what this process last saw
        self._ensure_tracking_row()

    @property
    def name(self) -> str:
        return self.projection.name

    def position(self) -> int:
        self._known = max(self._known, self.store.position(self.key))
        return self._known

    def catch_up(self, batch_size: int = BATCH_SIZE, target: int | None = None) -> int:
        """Apply what is recorded upstream (up to `target` at least); returns events applied.

        Stops after a batch that was not full: whatever was recorded after it
        is left to the next call, so an idle follower costs one read.
        """
        if target is None and (self.source.recorder.max_notification_id() or 0) <= self._known:
            return 0  # idle: no write, no lock
        applied = 0
        with self._lock:
            while target is None or self._known < target:
                try:
                    count = self._apply_next_batch(batch_size)
                except (IntegrityError, OperationalError):
                    time.sleep(0.01)  # another process moved the position; read it again
                    continue
                applied += count
                if count < batch_size:
                    # Nothing more of interest upstream: the events up to the target are
                    # of other kinds, so the view is as current as the target.
                    self._known = max(self._known, target or 0)
                    break
        return applied

    def ensure(self, notification_id: int | None) -> int:
        """Return once the projection has applied the given upstream position."""
        if notification_id is None or self._known >= notification_id:
            return 0
        return self.catch_up(target=notification_id)  # reads the stored position under the row lock

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

    def rebuild(self) -> int:
        """Drop the view's rows and replay the whole upstream log."""
        with self._lock, self.store.transaction() as sql:
            self._lock_position(sql)
            for table in self.projection.tables:
                sql.execute("DELETE FROM {table}", table=table)
            self.store.set_position(sql, self.key, 0)
            self._known = 0
        return self.catch_up()

    def _apply_next_batch(self, batch_size: int) -> int:
        with self.store.transaction() as sql:
            position = self._lock_position(sql)
            notifications = self.source.recorder.select_notifications(
                start=position, limit=batch_size, inclusive_of_start=False, topics=self.topics
            )
            if not notifications:
                self._known = max(self._known, position)
                return 0
            events = [self.source.mapper.to_domain_event(n) for n in notifications]
            self.projection.apply(sql, events)
            self.store.record_position(sql, Tracking(self.key, notifications[-1].id))
        self._known = notifications[-1].id
        return len(events)

    def _lock_position(self, sql: Sql) -> int:
        return self.store.lock_position(sql, self.key)

    def _ensure_tracking_row(self) -> None:
        with self.store.transaction() as sql:
            self.store.lock_position(sql, self.key)


class Policy(Protocol):
    name: str
    upstream: str

    @property
    def topics(self) -> Sequence[type | str]:
        """The events it reacts to: classes, or topics published by another context."""

    def react(self, event: Any, unit: Unit) -> None: ...


class PolicyFollower:
    """Drives a policy: one upstream event, its reaction and the position, in one transaction.

    The position lives in the downstream context's own tracking table (the
    library's process recorder), so a crash or a second process can never
    record a reaction twice: the second insert of a position fails and its
    transaction, reaction included, rolls back.
    """

    def __init__(self, policy: Policy, source: Application[Any], target: Any) -> None:
        self.policy = policy
        self.projection = policy  # what Runtime reads: name and upstream
        self.source = source
        self.target = target
        self.name = policy.name
        self.topics = [k if isinstance(k, str) else get_topic(k) for k in policy.topics]
        self._lock = threading.Lock()
        self._known = 0
        self._stale = True  # read the stored position before the next batch
        self._stored = 0

    def position(self) -> int:
        self._stored = self.target.position_of(self.source.name)
        self._known = max(self._known, self._stored)
        self._stale = False
        return self._known

    def catch_up(self, batch_size: int = BATCH_SIZE, target: int | None = None) -> int:
        """React to what is recorded upstream, a batch of events per transaction.

        Reactions in one batch share a unit of work, so each sees what the
        ones before it decided; all they changed is saved with the position
        of the batch's last event. Why nothing is applied twice, even with two
        processes or after a crash: the recorder refuses a position that is
        not ahead of the stored one; every reaction changes the aggregate its
        event is about (the order, the order to fulfil), so a reaction that
        another process already saved makes this save fail on that
        aggregate's version; and reactions are idempotent (releasing a
        released order, allocating an allocated line change nothing). Only
        the event types the policy reacts to are read; a batch that changes
        nothing records nothing (reading it again after a restart is harmless).
        """
        applied = 0
        with self._lock:
            while target is None or self._known < target:
                start = self.position() if self._stale else self._known
                notifications = self.source.recorder.select_notifications(
                    start=start, limit=batch_size, inclusive_of_start=False, topics=self.topics
                )
                if not notifications:
                    self._known = max(self._known, target or 0)
                    break
                unit = Unit(self.target)
                for notification in notifications:
                    self.policy.react(self.source.mapper.to_domain_event(notification), unit)
                changed = unit.changed()
                last = notifications[-1].id
                if changed or last - self._stored >= SKIP_RECORDED_AFTER:
                    # Long runs of events that change nothing are recorded now and then,
                    # so that a restart does not read them all again.
                    try:
                        self.target.record_processed(changed, Tracking(self.source.name, last))
                    except (IntegrityError, OperationalError):
                        self._stale = True  # someone moved first: read the position again
                        time.sleep(0.01)
                        continue
                    self._stored = last
                    applied += len(notifications) if changed else 0
                self._known = notifications[-1].id
                if len(notifications) < batch_size:
                    self._known = max(self._known, target or 0)
                    if target is None:
                        break
        return applied

    def ensure(self, notification_id: int | None) -> int:
        if notification_id is not None and self._known < notification_id:
            return self.catch_up(target=notification_id)
        return 0


class Runtime:
    """The followers of one process, and how a command waits for its effects."""

    def __init__(
        self, followers: list[Follower | PolicyFollower], inline: bool, timeout: float
    ) -> None:
        self.followers = {follower.name: follower for follower in followers}
        self.inline = inline
        self.timeout = timeout

    def settle(self, upstream: str, notification_id: int | None) -> None:
        """Make a command's effects, and the effects of the policies it set off, visible."""
        pending: dict[str, int | None] = {upstream: notification_id}
        for _ in range(8):  # a command's consequences settle in a few hops
            if not pending:
                return
            context, position = pending.popitem()
            for follower in self.followers.values():
                if follower.projection.upstream != context:
                    continue
                if not self.inline:
                    # Workers drive everything; the answer waits for the read models
                    # of the command's own context, not for other contexts' reactions.
                    if isinstance(follower, Follower):
                        follower.wait_for(position, self.timeout)
                    continue
                reacted = follower.ensure(position)
                if isinstance(follower, PolicyFollower) and reacted:
                    reached = follower.target.recorder.max_notification_id()
                    if reached:
                        pending[follower.target.name] = max(
                            reached, pending.get(follower.target.name) or 0
                        )

    def catch_up_all(self) -> int:
        """Drive every follower until a whole pass applies nothing."""
        total = 0
        while applied := sum(follower.catch_up() for follower in self.followers.values()):
            total += applied
        return total

    def rebuild_all(self) -> dict[str, int]:
        return {
            name: follower.rebuild()
            for name, follower in self.followers.items()
            if isinstance(follower, Follower)
        }
