"""Request claims: an `Idempotency-Key` recorded in the same transaction as its command.

A client that sends a key asks for its request to be run once, however often
it is retried. The key is claimed by an event (`RequestClaim.Claimed`) saved
in the command's own `save()`, so the claim and the command's events commit
together or not at all: a retry whose answer was lost (a client timeout, a
process killed between the commit and the answer) finds the claim and runs
nothing again. The claim's id comes from what scopes the key (credential,
route, key), so two requests racing with one key both write version 1 of it
and the store's unique version lets exactly one commit.

A claim is kept until `expires_at`; after that the key may be used again,
and the next request with it records `Reclaimed` on the same aggregate.

The edge (the HTTP layer) knows the key, the credential and the time; it
sets the ride with `carrying(ride)` around the command, and
`ContextApplication.save` (domain/processing.py) takes it along. The ride is
ambient rather than an argument of every command, so that no command can
forget it; it is a plain value that the edge puts in, never a clock or I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


def claim_id_for(credential: str, route: str, key: str) -> UUID:
    """`route` is the method and the route's template (`POST /shipments/{shipment_id}/pick`)."""
    return uuid5(NAMESPACE_URL, f"dom:request-claim:{credential}\n{route}\n{key}")


class ClaimTaken(Exception):
    """Another request committed this key's claim while this one was running: this one's
    events were not recorded; it is answered as that request's retry."""

    def __init__(self, claim_id: UUID) -> None:
        super().__init__(f"request claim {claim_id} was recorded by another request")
        self.claim_id = claim_id


class RequestClaim(Aggregate):
    class Claimed(Aggregate.Created):
        fingerprint: str
        at: datetime
        expires_at: datetime

    class Reclaimed(Aggregate.Event):
        fingerprint: str
        at: datetime
        expires_at: datetime

    @event(Claimed)
    def __init__(self, fingerprint: str, at: datetime, expires_at: datetime) -> None:
        self.fingerprint = fingerprint
        self.claimed_at = at
        self.expires_at = expires_at

    @classmethod
    def claim(
        cls, claim_id: UUID, fingerprint: str, at: datetime, expires_at: datetime
    ) -> RequestClaim:
        return cls._create(cls.Claimed, id=claim_id, fingerprint=fingerprint, at=at,
                           expires_at=expires_at)  # fmt: skip

    def current(self, now: datetime) -> bool:
        return now < self.expires_at

    def reclaim(self, fingerprint: str, at: datetime, expires_at: datetime) -> None:
        """The key again, once its claim expired; while it is current, someone else has it."""
        if self.current(at):
            raise ClaimTaken(self.id)
        self._reclaimed(fingerprint=fingerprint, at=at, expires_at=expires_at)

    @event(Reclaimed)
    def _reclaimed(self, fingerprint: str, at: datetime, expires_at: datetime) -> None:
        self.fingerprint = fingerprint
        self.claimed_at = at
        self.expires_at = expires_at


@dataclass
class Ride:
    """A claim to record with the next command save of this request.

    `replay`: the claim was committed before and its answer lost; the request
    runs again only to render its answer, and its saves record nothing.
    `recorded_in` names the context whose transaction carried the claim;
    `closed` is set once the command answers (its followers' saves never carry it).
    """

    claim_id: UUID
    fingerprint: str
    at: datetime
    expires_at: datetime
    replay: bool = False
    recorded_in: str | None = None
    closed: bool = False

    @property
    def boarding(self) -> bool:
        return not (self.closed or self.recorded_in or self.replay)

    def claim_on(self, found: RequestClaim | None) -> RequestClaim:
        """This ride's claim, new or superseding an expired one (ClaimTaken if current)."""
        if found is None:
            return RequestClaim.claim(self.claim_id, self.fingerprint, self.at, self.expires_at)
        found.reclaim(self.fingerprint, self.at, self.expires_at)
        return found


_riding: ContextVar[Ride | None] = ContextVar("riding", default=None)


def riding() -> Ride | None:
    return _riding.get()


@contextmanager
def carrying(ride: Ride | None) -> Iterator[Ride | None]:
    token = _riding.set(ride)
    try:
        yield ride
    finally:
        _riding.reset(token)
