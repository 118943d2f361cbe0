"""A shipment with the carrier, and what each piece of news does beside it, in one transaction:
goods returned to sender are on hand again at the location they left (once, however often
the carrier says so); a lost or returned shipment waits in the exception queue until a
person re-ships its lines (sourced again by the active policy) or resolves it.

A lost shipment's units left on hand when it was dispatched: nothing moves in stock, the
loss is what the shipment records (`Shipment.Tracked`, became "lost") for the queue and
for finance to write off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import Conflict, DomainError, NotFound
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.routing import source_order
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.fulfilment.tracking import CarrierUpdate, TrackingNumber, tracking_id_for
from domain.processing import ContextApplication, Outcome, Unit


@dataclass
class TrackingReport:
    """One outcome per update, in the order sent: applied, unchanged,
    unknown_tracking_number or refused (with the reason); and the last position recorded."""

    outcomes: list[dict[str, Any]] = field(default_factory=list)
    notification_id: int | None = None


class DeliverySteps(ContextApplication):
    def track_shipments(
        self, carrier: str, updates: list[tuple[str, CarrierUpdate]], now: datetime
    ) -> TrackingReport:
        """Apply each (tracking number, update) on its own: a refused one changes nothing
        and does not stop the others."""
        report = TrackingReport()
        for tracking_number, update in updates:
            outcome: dict[str, Any] = {"tracking_number": tracking_number,
                                       "status": update.status}  # fmt: skip
            found = self.find(TrackingNumber, tracking_id_for(carrier, tracking_number))
            if found is None:
                report.outcomes.append(outcome | {"outcome": "unknown_tracking_number"})
                continue
            outcome["shipment_id"] = found.shipment_id
            try:
                done = self._on_tracked(UUID(found.shipment_id), update, now)
            except DomainError as refused:  # this update only: the others go on
                report.outcomes.append(outcome | {"outcome": "refused", "detail": refused.detail})
                continue
            report.outcomes.append(
                outcome | {"outcome": "applied" if done.changed else "unchanged"}
            )
            report.notification_id = done.notification_id or report.notification_id
        return report

    def reship(self, shipment_id: UUID, now: datetime) -> Outcome:
        """Source a lost or returned shipment's lines again, by the active policy."""
        return self._on_shipment_of(shipment_id, lambda unit, shipment: reship(unit, shipment, now))

    def resolve_shipment_exception(self, shipment_id: UUID, note: str, now: datetime) -> Outcome:
        return self._on_shipment_of(shipment_id, lambda unit, shipment: shipment.resolve(
            note, max(now, shipment.carrier_status_at or now)))  # fmt: skip

    def _on_tracked(self, shipment_id: UUID, update: CarrierUpdate, now: datetime) -> Outcome:
        return self._on_shipment_of(shipment_id, lambda unit, shipment: track(
            unit, shipment, update, now))  # fmt: skip

    def _on_shipment_of(self, shipment_id: UUID, step: Any) -> Outcome:
        def work(unit: Unit) -> None:
            shipment = unit.get(Shipment, shipment_id)
            if shipment is None:
                raise NotFound(f"shipment {shipment_id} not found")
            step(unit, shipment)

        return self.act(work)


def track(unit: Unit, shipment: Shipment, update: CarrierUpdate, now: datetime) -> None:
    was = shipment.status
    if not shipment.track(update, now):
        return
    if shipment.status == "returned_to_sender" != was:
        back_at = max(update.at, shipment.dispatched_at or update.at)
        for line_id, quantity in shipment.lines.items():
            reference = f"returned:{shipment.id}:{line_id}"
            _stock_of(unit, shipment, line_id).receive(quantity, reference, back_at)


def reship(unit: Unit, shipment: Shipment, now: datetime) -> None:
    order = unit.get(FulfilmentOrder, UUID(shipment.order_id))
    if order is None:
        raise NotFound(f"order {shipment.order_id} is not known to fulfilment")
    kind = shipment.status
    if not shipment.reship(now):
        return
    now = max(now, order.latest_at or now)
    if not order.reopen(shipment.location, shipment.lines, f"{kind}: {shipment.id}", now):
        raise Conflict(f"the lines of shipment {shipment.id} were cancelled: nothing to re-ship")
    source_order(unit, order, now)


def claim_tracking_number(unit: Unit, shipment: Shipment) -> None:
    """At dispatch: the carrier's number finds this shipment, and no other one."""
    carrier, number = shipment.carrier["carrier"], shipment.carrier["tracking_number"]
    found = unit.get(TrackingNumber, tracking_id_for(carrier, number))
    if found is not None:
        found.check_for(str(shipment.id))
        return
    claimed = TrackingNumber(carrier=carrier, tracking_number=number, shipment_id=str(shipment.id))
    unit.touched[claimed.id] = claimed


def _stock_of(unit: Unit, shipment: Shipment, line_id: str) -> StockItem:
    sku = shipment.skus[line_id]
    found = unit.get(StockItem, stock_item_id_for(shipment.location, sku),
                     lambda: StockItem(location_code=shipment.location, sku=sku))  # fmt: skip
    assert found is not None
    return found
