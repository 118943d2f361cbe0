"""What every context's Application shares: a process recorder, so that a policy can
record its new events together with the position it has processed (tracking)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Recording, Tracking

from domain.claims import ClaimTaken, RequestClaim, Ride, riding
from domain.errors import NotFound
from domain.recordings import last_notification_id

T = TypeVar("T")
CONFLICT_RETRIES = 200


@dataclass(frozen=True)
class Outcome:
    """What a command did: whether it changed anything, and the position it was recorded at."""

    changed: bool
    notification_id: int | None


class Serialiser(Protocol):
    """Holds the named keys (e.g. one stock item) for the length of a `with`, so that the
    commands of one process that would change the same aggregates take turns instead of
    racing and retrying (adapters/keyed_locks.py; none in the domain's own tests)."""

    def holding(self, keys: Collection[str]) -> AbstractContextManager[object]: ...


class _Unserialised:
    def holding(self, keys: Collection[str]) -> AbstractContextManager[object]:
        return nullcontext()


class Finds(Protocol):
    def find(self, kind: type[T], aggregate_id: UUID) -> T | None: ...


class Unit:
    """The aggregates one piece of work touches, each loaded once and saved together.

    Reactions to several events in one batch share a unit, so a reaction
    sees what the reactions before it decided, before anything is saved.
    """

    def __init__(self, app: Finds) -> None:
        self.app = app
        self.touched: dict[UUID, Any] = {}

    def get(
        self, kind: type[T], aggregate_id: UUID, new: Callable[[], T] | None = None
    ) -> T | None:
        if aggregate_id in self.touched:
            found: T = self.touched[aggregate_id]
            return found
        loaded = self.app.find(kind, aggregate_id)
        if loaded is None and new is not None:
            loaded = new()
        if loaded is not None:
            self.touched[aggregate_id] = loaded
        return loaded

    def changed(self) -> list[Any]:
        return [a for a in self.touched.values() if a.pending_events]


class Collected(ProcessingEvent[UUID]):
    """The library's processing event, collecting from aggregates by their class: its own
    check is a runtime Protocol isinstance, slow on Python 3.11, and every command's and
    reaction's save goes through it. Anything else is left to the library."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class ContextApplication(Application[UUID]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listeners: list[Callable[[list[Recording[UUID]]], None]] = []
        self.serialiser: Serialiser = _Unserialised()
        self.conflicts = 0  # commands tried again after a version conflict (a rough count)

    def construct_recorder(self) -> ApplicationRecorder:
        return self.factory.process_recorder()

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Every save of this process, a command's or a policy's, goes through here; the
        listeners (the runtime) hear of what was recorded once it is committed."""
        recordings = super()._record(processing_event)
        for listener in self.listeners:
            listener(recordings)
        return recordings

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, with the request claim riding along (domain/claims.py): the
        first save of a request with an `Idempotency-Key` records its claim in the same
        transaction; a request replayed after its answer was lost records nothing."""
        ride = riding()
        if ride is None or ride.closed or ride.recorded_in:
            return self._save(*objs, **kwargs)
        if ride.replay:
            for obj in objs:  # already recorded under this key: this run only renders
                if isinstance(obj, BaseAggregate):
                    obj.collect_events()
            return []
        return self.save_claimed(ride, *objs, **kwargs)

    def save_claimed(self, ride: Ride, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save `objs` with the ride's claim; ClaimTaken when another request's commit
        claimed the key first (the store's unique version refused this one)."""
        claim = ride.claim_on(self.find(RequestClaim, ride.claim_id))
        try:
            recordings = self._save(*objs, claim, **kwargs)
        except IntegrityError:
            found = self.find(RequestClaim, ride.claim_id)
            if found is not None and found.current(ride.at):
                raise ClaimTaken(ride.claim_id) from None
            raise
        ride.recorded_in = self.name
        return recordings

    def _save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save (record, snapshots, notify), collecting through `Collected`."""
        processing = Collected()
        processing.collect_events(*objs, **kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def record_processed(self, aggregates: list[Any], tracking: Tracking) -> list[Recording[UUID]]:
        """Save what a policy decided and the upstream position it decided on, atomically.

        Raises the library's IntegrityError when the position was recorded
        already (another process handled it) or an aggregate moved on.
        """
        processing = Collected(tracking=tracking)
        processing.collect_events(*aggregates)
        return self._record(processing)

    def find(self, kind: type[T], aggregate_id: UUID) -> T | None:
        try:
            found: T = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def act(self, work: Callable[[Unit], object], keys: Collection[str] = ()) -> Outcome:
        """Run a command on a fresh unit and save what it changed in one transaction;
        again, from a fresh read, on a version conflict. `keys` name the hot aggregates it
        changes: this process's commands with a key in common run one after the other."""

        def attempt() -> Outcome:
            unit = Unit(self)
            work(unit)
            changed = unit.changed()
            ride = riding()
            claiming = ride is not None and ride.boarding  # saved even when nothing changed
            try:
                saved = self.save(*changed) if changed or claiming else []
                position = last_notification_id(saved)
            except IntegrityError:
                self.conflicts += 1
                raise
            return Outcome(bool(changed), position)

        with self.serialiser.holding(keys):
            return retrying(attempt)

    def existing(self, kind: type[T], aggregate_id: UUID, what: str) -> T:
        """The aggregate, or NotFound naming `what` was asked for (`location WH9`)."""
        found = self.find(kind, aggregate_id)
        if found is None:
            raise NotFound(f"{what} not found")
        return found

    def position_of(self, upstream: str) -> int:
        recorder: Any = self.recorder
        return int(recorder.max_tracking_id(upstream) or 0)


def retrying(attempt: Callable[[], T]) -> T:
    """Optimistic concurrency: on a version conflict read again and decide again."""
    for _ in range(CONFLICT_RETRIES - 1):
        try:
            return attempt()
        except IntegrityError:
            continue
    return attempt()
