"""Carriers as data: each carrier's services, rate tables, transit times, pick-up cut-offs
and working days, versioned by its definitions.

A definition is checked and normalised (`carrier_schema`) before it is recorded, so what
is stored is what the choice of carrier reads. Defining a carrier again with the same
content records nothing; other content is its next version (`Defined`, carrying the
whole definition, so that any version can be read back from its event alone). The
directory lists every code, so the choice of carrier can enumerate them at pack time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

CARRIER_NAMESPACE = UUID("6f3b2a1c-9d4e-4c7b-8a5f-2e1d0c9b8a73")
CARRIER_DIRECTORY_ID = uuid5(NAMESPACE_URL, "dom:fulfilment:carrier-directory")


def carrier_id_for(code: str) -> UUID:
    return uuid5(CARRIER_NAMESPACE, code.upper())


class Carrier(Aggregate):
    class Created(Aggregate.Created):
        code: str

    class Defined(Aggregate.Event):
        revision: int  # the definition's version (the aggregate's own `version` counts events)
        definition: dict[str, Any]
        at: datetime

    @staticmethod
    def create_id(code: str) -> UUID:
        return carrier_id_for(code)

    @event(Created)
    def __init__(self, code: str) -> None:
        self.code = code.upper()
        self.definition: dict[str, Any] = {}
        self.revision = 0
        self.defined_at: datetime | None = None

    def define(self, definition: dict[str, Any], now: datetime) -> bool:
        """Record a normalised definition as the next version; False when it is the current."""
        if definition == self.definition:
            return False
        self._defined(revision=self.revision + 1, definition=definition, at=now)
        return True

    @property
    def active(self) -> bool:
        return bool(self.definition.get("active"))

    @event(Defined)
    def _defined(self, revision: int, definition: dict[str, Any], at: datetime) -> None:
        self.definition = definition
        self.revision = revision
        self.defined_at = at


class CarrierDirectory(Aggregate):
    """Every carrier code, in the order they were first defined."""

    class Created(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return CARRIER_DIRECTORY_ID

    @event(Created)
    def __init__(self) -> None:
        self.codes: list[str] = []

    def add(self, code: str) -> None:
        if code not in self.codes:
            self._added(code=code)

    @event("Added")
    def _added(self, code: str) -> None:
        self.codes.append(code)
