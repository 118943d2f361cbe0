"""What drives a policy: upstream events, their reactions and the position, in one transaction.

The position lives in the downstream context's own tracking table (the
library's process recorder), so a crash or a second process can never
record a reaction twice: the second insert of a position fails and its
transaction, reaction included, rolls back.

Reactions in one batch share a unit of work, so each sees what the ones
before it decided; all they changed is saved with the position of the
batch's last event. Why nothing is applied twice, even with two processes or
after a crash: the recorder refuses a position that is not ahead of the
stored one; every reaction changes the aggregate its event is about, so a
reaction that another process already saved makes this save fail on that
aggregate's version; and reactions are idempotent. Only the event types the
policy reacts to are read; a batch that changes nothing records nothing.

A batch whose reactions raise is tried event by event; an event the policy
cannot react to is parked (domain/parking.py) with its position, and the
policy goes on. Later events about the same subject wait behind it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Recording, Tracking
from eventsourcing.utils import get_topic

from domain.errors import NotFound
from domain.parking import ParkedReactions, parked_id_for
from domain.processing import Unit
from projections.follower import BATCH_SIZE
from projections.health import PARKED, Watch, attempts, describe, now, transient

log = logging.getLogger("dom.policies")
SKIP_RECORDED_AFTER = 2000  # events a policy may pass over before its position is stored
CONFLICTS = 20  # positions moved by another process, in one call, before it lets them run
STUCK = 3  # conflicts in a row at one position before each event is tried alone


class Policy(Protocol):
    name: str
    upstream: str

    @property
    def topics(self) -> Sequence[type | str]:
        """The events it reacts to: classes, or topics published by another context."""

    def react(self, event: Any, unit: Unit) -> None: ...


class PolicyFollower:
    def __init__(self, policy: Policy, source: Application[Any], target: Any, watch: Watch) -> None:
        self.policy = policy
        self.projection = policy  # what Runtime reads: name and upstream
        self.source = source
        self.target = target
        self.name = policy.name
        self.topics = [k if isinstance(k, str) else get_topic(k) for k in policy.topics]
        self.topic_set = frozenset(self.topics)
        self.watch = watch
        self.parked_id = parked_id_for(policy.name)
        self._lock = threading.Lock()
        self._known = 0
        self._stale = True  # read the stored position before the next batch
        self._stored = 0
        self._start = 0  # where the batch being reacted to was read from
        self._produced = 0  # the target's latest event written by a reaction of this process
        # What another process wrote for these events is unknown: it moved the position,
        # or reactions here found their work already done (it reacted first).
        self._unsure = False
        self._parked: ParkedReactions | None = None  # as of the stored position last read
        self._parked_fresh = False

    @property
    def known(self) -> int:
        return self._known

    def position(self) -> int:
        self._stored = self.target.position_of(self.source.name)
        if self._stored > self._known:
            self._unsure = True
        self._known = max(self._known, self._stored)
        self._stale = False
        self._parked_fresh = False  # whoever moved the position may have parked
        return self._known

    def produced(self) -> int:
        """How far the target's followers must get to show what the reactions so far
        changed: the latest event this process's reactions wrote, or, when another
        process may have reacted instead, the target's latest event."""
        if self._unsure:
            self._produced = max(self._produced, self.target.recorder.max_notification_id() or 0)
            self._unsure = False
        return self._produced

    def _wrote(self, recordings: Sequence[Recording[UUID]]) -> None:
        for recording in recordings:
            self._produced = max(self._produced, recording.notification.id)

    def catch_up(self, batch_size: int = BATCH_SIZE, target: int | None = None) -> int:
        """React to what is recorded upstream (up to `target` at least); returns events
        that changed something. Never raises: a store that does not answer ends the call
        (the next one starts again from the position), a bad event is parked."""
        applied, conflicts, stuck = 0, 0, 0
        with self._lock:
            while target is None or self._known < target:
                batch = attempts(lambda: self._read(batch_size), self.watch.failing)
                if batch is None:
                    break
                if not batch:
                    self._known = max(self._known, target or 0)
                    break
                try:
                    applied += self._react_to_batch(batch)
                except IntegrityError:
                    conflicts += 1
                    if self.position() > self._start:
                        stuck = 0  # another process moved first: go on from its position
                    else:
                        stuck += 1  # an aggregate moved under a reaction: decide again
                    if conflicts >= CONFLICTS:
                        break
                    if stuck >= STUCK:  # one of these events conflicts by itself: park it
                        stuck = 0
                        if not self._one_by_one(batch, park_conflicts=True):
                            break
                    continue
                except Exception as error:
                    if transient(error):
                        self.watch.failing(error)
                        self._stale = True
                        break
                    if not self._one_by_one(batch):
                        break
                self.watch.ok(self._known)
                if len(batch) < batch_size:
                    self._known = max(self._known, target or 0)
                    if target is None:
                        break
        return applied

    def ensure(self, notification_id: int | None) -> bool:
        """React up to a position; True once there (`produced` then says how far the
        target's followers must get to show the reactions)."""
        if notification_id is not None and self._known < notification_id:
            self.catch_up(target=notification_id)
        return notification_id is None or self._known >= notification_id

    def skip_to(self, notification_id: int) -> None:
        """Nothing this policy reacts to lies before `notification_id` (the caller read
        the log): it has nothing to do up to there."""
        self._known = max(self._known, notification_id)

    def _read(self, batch_size: int) -> Sequence[Notification]:
        start = self._start = self.position() if self._stale else self._known
        return self.source.recorder.select_notifications(
            start=start, limit=batch_size, inclusive_of_start=False, topics=self.topics
        )

    def _open_parked(self, unit: Unit) -> ParkedReactions | None:
        """The policy's parked reactions, read again only when the stored position was:
        in this process only this follower (under its lock) changes them, and another
        process that parks moves the position, which this one then reads on a conflict
        (a hold-back saved against an older version conflicts too)."""
        if not self._parked_fresh:
            self._parked = self.target.find(ParkedReactions, self.parked_id)
            self._parked_fresh = True
        if self._parked is None or not self._parked.entries:
            return None
        return unit.get(ParkedReactions, self.parked_id)  # its own copy, saved with the batch

    def _react_to_batch(self, batch: Sequence[Notification]) -> int:
        unit = Unit(self.target)
        parked = self._open_parked(unit)
        for notification in batch:
            subject = str(notification.originator_id)
            if parked is not None and parked.holds(subject):
                parked.hold_back(subject, notification.id, notification.topic, now())
            else:
                self.policy.react(self.source.mapper.to_domain_event(notification), unit)
        changed = unit.changed()
        last = batch[-1].id
        if not changed:
            self._unsure = True
        if changed or last - self._stored >= SKIP_RECORDED_AFTER:
            # Long runs of events that change nothing are recorded now and then,
            # so that a restart does not read them all again.
            self._wrote(self.target.record_processed(changed, Tracking(self.source.name, last)))
            self._stored = last
            if parked is not None:
                self._parked_fresh = False  # held back behind an entry
        self._known = last
        return len(batch) if changed else 0

    def _one_by_one(self, batch: Sequence[Notification], park_conflicts: bool = False) -> bool:
        """React to each event alone, parking those that fail; False if the store failed
        or another process moved (the next call starts again from the stored position)."""
        for notification in batch:
            try:
                self._react_to_batch([notification])
            except Exception as error:
                conflict = isinstance(error, IntegrityError)
                if conflict and not park_conflicts:
                    self._stale = True
                    return False
                if transient(error):
                    self.watch.failing(error)
                    self._stale = True
                    return False
                try:
                    self._park(notification, error)
                except Exception as failure:  # e.g. the store went away meanwhile
                    log.error("%s could not park %s: %s", self.name, notification.id, failure)
                    self._stale = True
                    return False
        return True

    def _park(self, notification: Notification, error: BaseException) -> None:
        log.error(
            "%s parked notification %s (%s) of %s: %s", self.name, notification.id,
            notification.topic, notification.originator_id, describe(error), exc_info=error,
        )  # fmt: skip
        unit = Unit(self.target)
        parked = unit.get(ParkedReactions, self.parked_id,
                          lambda: ParkedReactions(policy=self.name))  # fmt: skip
        assert parked is not None
        parked.park(str(notification.originator_id), notification.id, notification.topic,
                    describe(error), now())  # fmt: skip
        tracking = Tracking(self.source.name, notification.id)
        self._wrote(self.target.record_processed(unit.changed(), tracking))
        self._stored = self._known = notification.id
        self._parked_fresh = False
        PARKED.labels(self.name).inc()

    def retry_parked(self, subject: str) -> str | None:
        """React again, in order, to the events parked for a subject; the entry is resolved
        with what they changed, in one transaction. Returns the error when it fails again
        (recorded on the entry), None when resolved."""
        with self._lock:
            unit = Unit(self.target)
            parked = unit.get(ParkedReactions, self.parked_id)
            if parked is None:
                raise NotFound(f"{self.name} has no parked reaction for {subject}")
            entry = parked.entry(subject)
            try:
                for held in entry["events"]:
                    notification = self._notification(held["notification_id"])
                    self.policy.react(self.source.mapper.to_domain_event(notification), unit)
                parked.resolve(subject, now())
                self._parked_fresh = False
                self._wrote(self.target.save(*unit.changed()))
                return None
            except Exception as error:
                if transient(error) or isinstance(error, IntegrityError):
                    raise
                again = Unit(self.target)
                found = again.get(ParkedReactions, self.parked_id)
                assert found is not None
                found.retry_failed(subject, describe(error), now())
                self._parked_fresh = False
                self._wrote(self.target.save(*again.changed()))
                return describe(error)

    def _notification(self, notification_id: int) -> Notification:
        found = self.source.recorder.select_notifications(start=notification_id, limit=1)
        if not found or found[0].id != notification_id:
            raise LookupError(f"notification {notification_id} of {self.source.name} is gone")
        return found[0]

    def parked_subjects(self) -> list[UUID]:
        parked = self.target.find(ParkedReactions, self.parked_id)
        return [UUID(subject) for subject in parked.entries] if parked is not None else []
