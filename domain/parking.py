"""Reactions a policy could not make, parked so that one bad event never stops a context.

When a policy cannot react to an event (its reaction raises, or the event
cannot even be read), the runtime parks the event here, in the policy's own
context, together with the position it has now passed: the policy goes on
with the next events. Later events about the same subject (the aggregate the
event is about, e.g. the order) are held back behind it, so that they are
never applied out of order. People see the entry in the exception queue with
the error, and retry it once the cause is fixed: the held events are then
reacted to in order, and the entry resolved, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import NotFound

PARKED_NAMESPACE = UUID("8c4e7d2a-51b3-4f0e-9a6d-2f7b1c3e5d90")


def parked_id_for(policy: str) -> UUID:
    return uuid5(PARKED_NAMESPACE, policy)


class ParkedReactions(Aggregate):
    """The open entries of one policy: subject -> the events held, the error, since when."""

    class Created(Aggregate.Created):
        policy: str

    class Parked(Aggregate.Event):
        policy: str
        subject: str
        notification_id: int
        topic: str
        error: str
        at: datetime

    class HeldBack(Aggregate.Event):
        policy: str
        subject: str
        notification_id: int
        topic: str
        at: datetime

    class Resolved(Aggregate.Event):
        policy: str
        subject: str
        at: datetime

    class RetryFailed(Aggregate.Event):
        policy: str
        subject: str
        error: str
        at: datetime

    @staticmethod
    def create_id(policy: str) -> UUID:
        return parked_id_for(policy)

    @event(Created)
    def __init__(self, policy: str) -> None:
        self.policy = policy
        self.entries: dict[str, dict[str, Any]] = {}

    def holds(self, subject: str) -> bool:
        return subject in self.entries

    def park(
        self, subject: str, notification_id: int, topic: str, error: str, at: datetime
    ) -> None:
        """The policy could not react to this event; behind an open entry it is only held back."""
        if subject in self.entries:
            self.hold_back(subject, notification_id, topic, at)
            return
        self._parked(policy=self.policy, subject=subject, notification_id=notification_id,
                     topic=topic, error=error, at=at)  # fmt: skip

    def hold_back(self, subject: str, notification_id: int, topic: str, at: datetime) -> None:
        """A later event about a parked subject waits behind it, in order."""
        self._held_back(policy=self.policy, subject=subject, notification_id=notification_id,
                        topic=topic, at=at)  # fmt: skip

    def entry(self, subject: str) -> dict[str, Any]:
        if subject not in self.entries:
            raise NotFound(f"{self.policy} has no parked reaction for {subject}")
        return self.entries[subject]

    def resolve(self, subject: str, at: datetime) -> None:
        self.entry(subject)
        self._resolved(policy=self.policy, subject=subject, at=at)

    def retry_failed(self, subject: str, error: str, at: datetime) -> None:
        self.entry(subject)
        self._retry_failed(policy=self.policy, subject=subject, error=error, at=at)

    # Every event names its policy, so that a reader needs no other event to place it.
    @event(Parked)
    def _parked(
        self, policy: str, subject: str, notification_id: int, topic: str, error: str, at: datetime
    ) -> None:
        self.entries[subject] = {
            "events": [{"notification_id": notification_id, "topic": topic}],
            "error": error,
            "since": at,
            "retries": 0,
        }

    @event(HeldBack)
    def _held_back(
        self, policy: str, subject: str, notification_id: int, topic: str, at: datetime
    ) -> None:
        self.entries[subject]["events"].append({"notification_id": notification_id, "topic": topic})

    @event(Resolved)
    def _resolved(self, policy: str, subject: str, at: datetime) -> None:
        del self.entries[subject]

    @event(RetryFailed)
    def _retry_failed(self, policy: str, subject: str, error: str, at: datetime) -> None:
        self.entries[subject]["error"] = error
        self.entries[subject]["retries"] += 1
