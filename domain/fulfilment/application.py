"""The fulfilment context: locations, stock levels and reservations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.errors import Conflict, FieldProblem, InvalidCommand, NotFound, Problems
from domain.fulfilment.carriers import CarrierCommands
from domain.fulfilment.clock import PromiseClock
from domain.fulfilment.delivery import DeliverySteps
from domain.fulfilment.exception_actions import ExceptionActions
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.location import (
    Capability,
    Location,
    LocationProfile,
    check_profile,
    location_id_for,
)
from domain.fulfilment.network import DIRECTORY_ID, LocationDirectory
from domain.fulfilment.routing_policy import RoutingPolicy, policy_id_for
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.moments import MAX_CLOCK_SKEW, moment_problem
from domain.processing import ContextApplication, Outcome, retrying
from domain.recordings import last_notification_id

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class Movement(StrEnum):
    RECEIVED = "received"
    ADJUSTED = "adjusted"
    DAMAGED = "damaged"


@dataclass(frozen=True)
class StockCount:
    location: str
    sku: str
    quantity: int
    counted_at: datetime
    safety_stock: int | None = None

    def from_the_future(self, now: datetime) -> bool:
        """A count dated ahead of our clock would make every real count look older."""
        return self.counted_at > now + MAX_CLOCK_SKEW


@dataclass(frozen=True)
class CountReport:
    applied: int
    unchanged: int
    notification_id: int | None


class Fulfilment(
    ExceptionActions, CarrierCommands, DeliverySteps, PromiseClock, ContextApplication
):
    name = "fulfilment"

    # --- locations --------------------------------------------------------------

    def define_location(
        self, profile: LocationProfile, now: datetime, time_zones: frozenset[str] | None = None
    ) -> tuple[bool, Outcome]:
        """Register or update a location; returns (created, outcome). Unchanged: nothing recorded."""
        check_profile(profile, time_zones)
        profile = replace(profile, code=profile.code.upper())  # codes are case-insensitive

        def attempt() -> tuple[bool, Outcome]:
            location = self.find(Location, location_id_for(profile.code))
            if location is None:
                location = Location.register(profile, now)
                directory = self.find(LocationDirectory, DIRECTORY_ID) or LocationDirectory()
                directory.add(profile.code)
                return True, Outcome(True, last_notification_id(self.save(location, directory)))
            if not location.redefine(profile, now):
                return False, Outcome(False, None)
            return False, Outcome(True, last_notification_id(self.save(location)))

        return retrying(attempt)

    def knows_location(self, code: str) -> bool:
        return self.find(Location, location_id_for(code)) is not None

    def pickup_problem(self, code: str) -> str | None:
        """Why customers cannot collect at `code`, or None when they can."""
        location = self.find(Location, location_id_for(code))
        if location is None:
            return f"no location {code.upper()} is registered"
        if not location.active:
            return f"{location.code} is not active"
        if Capability.PICKUP.value not in location.profile["capabilities"]:
            return f"{location.code} does not offer pickup"
        return None

    def get_location(self, code: str) -> Location:
        return self.existing(Location, location_id_for(code), f"location {code}")

    # --- routing policies ---------------------------------------------------------

    def draft_policy(self, name: str, rules: dict[str, Any], note: str, now: datetime) -> int:
        """Record a draft version of a routing policy (creating the policy if new)."""

        def attempt() -> int:
            policy = self.find(RoutingPolicy, policy_id_for(name)) or RoutingPolicy(name=name)
            version = policy.draft(rules, note, now)
            self.save(policy)
            return version

        return retrying(attempt)

    def activate_policy(self, name: str, version: int, now: datetime) -> Outcome:
        return self._change(lambda: self.get_policy(name), lambda p: p.activate(version, now))

    def retire_policy(self, name: str, version: int, now: datetime) -> Outcome:
        return self._change(lambda: self.get_policy(name), lambda p: p.retire(version, now))

    def policies(self) -> list[RoutingPolicy]:
        """Every routing policy, by name: found from the log's creation events (policies
        are few, and this reads every one ever created, whatever release created it)."""
        created, start, found = [get_topic(RoutingPolicy.Created)], 0, []
        while batch := self.recorder.select_notifications(
            start=start, limit=500, inclusive_of_start=False, topics=created
        ):
            found += [n.originator_id for n in batch]
            start = batch[-1].id
        policies = [self.find(RoutingPolicy, UUID(str(policy_id))) for policy_id in found]
        return sorted((p for p in policies if p is not None), key=lambda p: p.name)

    def get_policy(self, name: str) -> RoutingPolicy:
        return self.existing(RoutingPolicy, policy_id_for(name), f"routing policy {name}")

    # --- stock levels -----------------------------------------------------------

    def count_stock(self, counts: list[StockCount], now: datetime) -> CountReport:
        """Apply absolute counts in one transaction; all are checked before any is applied.

        A count from the future is refused: it would make every real count
        "not newer" and so be ignored until that moment.
        """
        late = [
            FieldProblem(f"counts.{n}.counted_at", problem)
            for n, count in enumerate(counts)
            if (problem := moment_problem(count.counted_at))
            or (problem := "is in the future" if count.from_the_future(now) else None)
        ]
        if problems := late + _counted_twice(counts):
            raise InvalidCommand(problems)
        self._check_locations(count.location for count in counts)

        def attempt() -> CountReport:
            items: dict[UUID, StockItem] = {}
            applied, problems = 0, Problems()
            for n, count in enumerate(counts):
                item = items.get(stock_item_id_for(count.location, count.sku)) or self._item(
                    count.location, count.sku
                )
                items[item.id] = item
                try:
                    changed = item.count(count.quantity, count.counted_at)
                    if count.safety_stock is not None:
                        changed = item.set_safety_stock(count.safety_stock, now) or changed
                except InvalidCommand as error:  # named by the count's place in the request
                    for problem in error.problems:
                        problems.add(f"counts.{n}.{problem.field}", problem.message)
                    continue
                applied += changed
            problems.raise_if_any()
            pending = [item for item in items.values() if item.pending_events]
            position = last_notification_id(self.save(*pending)) if pending else None
            return CountReport(applied, len(counts) - applied, position)

        return retrying(attempt)

    def move_stock(
        self,
        location: str,
        sku: str,
        movement: Movement,
        quantity: int,
        reason: str,
        reference: str,
        now: datetime,
    ) -> Outcome:
        """Receive, adjust (signed) or write off damaged units; retries by reference change nothing."""
        self._check_locations([location])

        def move(item: StockItem) -> bool:
            if movement is Movement.RECEIVED:
                return item.receive(quantity, reference, now)
            if movement is Movement.ADJUSTED:
                return item.adjust(quantity, reason, reference, now)
            return item.record_damage(quantity, reason, reference, now)

        return self._change(lambda: self._item(location, sku), move)

    def get_shipment(self, shipment_id: UUID) -> Shipment:
        return self.existing(Shipment, shipment_id, f"shipment {shipment_id}")

    def stock_item_by_id(self, item_id: UUID) -> StockItem:
        return self.existing(StockItem, item_id, f"stock item {item_id}")

    def stock_item(self, location: str, sku: str) -> StockItem:
        item = self.find(StockItem, stock_item_id_for(location, sku))
        if item is None:
            raise NotFound(f"no stock of {sku} at {location}")
        return item

    # --- reservations -------------------------------------------------------------

    def reserve(self, location: str, sku: str, order_id: str, lines: dict[str, int]) -> Outcome:
        """Reserve all the lines or none, by hand (sourcing reserves for the orders it
        sources); refused (InsufficientStock) below zero available."""
        self._check_locations([location])
        self._not_sourcing_s(order_id)
        return self._change(lambda: self._item(location, sku), lambda i: i.reserve(order_id, lines))

    def release(
        self, location: str, sku: str, order_id: str, line_ids: list[str] | None, now: datetime
    ) -> Outcome:
        """Give back a reservation made by hand."""
        self._not_sourcing_s(order_id)
        return self._change(
            lambda: self.stock_item(location, sku), lambda i: i.release(order_id, line_ids, now)
        )

    def dispatch(
        self, location: str, sku: str, order_id: str, line_ids: list[str] | None, now: datetime
    ) -> Outcome:
        return self._change(
            lambda: self.stock_item(location, sku), lambda i: i.dispatch(order_id, line_ids, now)
        )

    # --- helpers ------------------------------------------------------------------

    def _change(self, load: Callable[[], A], decide: Callable[[A], bool]) -> Outcome:
        """Load one aggregate, let it decide, save it if it changed; again on a version conflict."""

        def attempt() -> Outcome:
            aggregate = load()
            changed = decide(aggregate)
            return Outcome(changed, last_notification_id(self.save(aggregate)) if changed else None)

        return retrying(attempt)

    def _item(self, location: str, sku: str) -> StockItem:
        item = self.find(StockItem, stock_item_id_for(location, sku))
        return item if item is not None else StockItem(location_code=location.upper(), sku=sku)

    def _not_sourcing_s(self, order_id: str) -> None:
        """The reservations of an order dom sources are sourcing's: freeing one by hand would
        leave the order allocated to stock another order can then take (an oversell)."""
        try:
            sourced = self.find(FulfilmentOrder, UUID(order_id)) is not None
        except ValueError:
            return  # not an order id of dom's: a reservation made by hand
        if sourced:
            raise Conflict(
                f"the reservations of order {order_id} are sourcing's: cancel its lines or "
                "reject its shipment to free them"
            )

    def _check_locations(self, codes: Iterable[str]) -> None:
        unknown = sorted(code for code in set(codes) if not self.knows_location(code))
        if unknown:
            raise NotFound(f"unknown location {', '.join(map(repr, unknown))}")


def _counted_twice(counts: list[StockCount]) -> list[FieldProblem]:
    """A second count of one SKU at one location at the same moment would be ignored as
    not newer: two such counts are a mistake of the sender, not a choice dom makes."""
    first: dict[tuple[str, str, datetime], int] = {}
    problems = []
    for n, count in enumerate(counts):
        key = (count.location, count.sku, count.counted_at)
        if key in first:
            problems.append(FieldProblem(f"counts.{n}", f"counts {count.sku} at {count.location} "
                                         f"at the same moment as counts.{first[key]}"))  # fmt: skip
        else:
            first[key] = n
    return problems
