"""Small aggregates that sourcing reads and writes besides stock: the directory of
locations, each location's workload per day, and the backorders waiting per SKU."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

DIRECTORY_ID = uuid5(NAMESPACE_URL, "dom:fulfilment:location-directory")


class LocationDirectory(Aggregate):
    """Every location code, so sourcing can enumerate the network."""

    class Created(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return DIRECTORY_ID

    @event(Created)
    def __init__(self) -> None:
        self.codes: list[str] = []

    def add(self, code: str) -> None:
        if code not in self.codes:
            self._added(code=code)

    @event("Added")
    def _added(self, code: str) -> None:
        self.codes.append(code)


def workload_id_for(location: str, day: date) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:fulfilment:workload:{location.upper()}:{day.isoformat()}")


class DailyWorkload(Aggregate):
    """Shipments requested from one location on one (UTC) day: the capacity criterion's input."""

    class Created(Aggregate.Created):
        location: str
        day: str

    @staticmethod
    def create_id(location: str, day: str) -> UUID:
        return workload_id_for(location, date.fromisoformat(day))

    @event(Created)
    def __init__(self, location: str, day: str) -> None:
        self.location = location
        self.day = day
        self.shipments = 0

    def take(self) -> None:
        self._taken()

    def give_back(self) -> None:
        if self.shipments > 0:
            self._given_back()

    @event("Taken")
    def _taken(self) -> None:
        self.shipments += 1

    @event("GivenBack")
    def _given_back(self) -> None:
        self.shipments -= 1


def backorders_id_for(sku: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:fulfilment:backorders:{sku}")


class Backorders(Aggregate):
    """Orders waiting for one SKU, oldest first: re-sourced when its stock rises."""

    class Created(Aggregate.Created):
        sku: str

    @staticmethod
    def create_id(sku: str) -> UUID:
        return backorders_id_for(sku)

    @event(Created)
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.waiting: list[str] = []

    def wait(self, order_id: str) -> None:
        if order_id not in self.waiting:
            self._waiting(order_id=order_id)

    def done(self, order_id: str) -> None:
        if order_id in self.waiting:
            self._done(order_id=order_id)

    @event("Waiting")
    def _waiting(self, order_id: str) -> None:
        self.waiting.append(order_id)

    @event("Done")
    def _done(self, order_id: str) -> None:
        self.waiting.remove(order_id)


UNDECIDED_ID = uuid5(NAMESPACE_URL, "dom:fulfilment:undecided")


class Undecided(Aggregate):
    """Orders whose lines wait for a person (no active policy, no matching strategy, no
    eligible location and no backorder): sourced again when a policy version is activated."""

    class Created(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return UNDECIDED_ID

    @event(Created)
    def __init__(self) -> None:
        self.orders: list[str] = []

    def add(self, order_id: str) -> None:
        if order_id not in self.orders:
            self._added(order_id=order_id)

    def remove(self, order_id: str) -> None:
        if order_id in self.orders:
            self._removed(order_id=order_id)

    @event("Added")
    def _added(self, order_id: str) -> None:
        self.orders.append(order_id)

    @event("Removed")
    def _removed(self, order_id: str) -> None:
        self.orders.remove(order_id)
