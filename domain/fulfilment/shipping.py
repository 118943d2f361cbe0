"""The warehouse's steps on a shipment and what each does beside it, in one transaction:
a short pick corrects the location's stock by what was missing, frees what those units
held and sources them again by the active policy; dispatch takes the units out of the
location's stock and its reservations, exactly once however often it is retried."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from uuid import UUID

from domain.errors import NotFound
from domain.fulfilment.carrier_port import CarrierAdapter
from domain.fulfilment.clock import clear_warnings
from domain.fulfilment.delivery import claim_tracking_number
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.packing import handover, pack, tracking_link
from domain.fulfilment.routing import source_order
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.processing import ContextApplication, Outcome, Unit


class ShipmentSteps(ContextApplication):
    # Carrier adapters by the name definitions give (`adapter`); bootstrap installs them.
    carrier_adapters: Mapping[str, CarrierAdapter] = {}

    def accept_shipment(self, shipment_id: UUID, now: datetime) -> Outcome:
        return self._on_shipment(shipment_id, lambda unit, shipment: shipment.accept(now))

    def pick_shipment(self, shipment_id: UUID, picked: dict[str, int], now: datetime) -> Outcome:
        """Every line's picked quantity; what is missing is sourced again."""
        return self._on_shipment(shipment_id, lambda unit, shipment: pick(
            unit, shipment, picked, max(now, shipment.requested_at)))  # fmt: skip

    def pack_shipment(
        self, shipment_id: UUID, parcels: list[dict[str, int]], now: datetime,
        by_hand: tuple[str, str] | None = None,
    ) -> Outcome:  # fmt: skip
        """Packed in parcels; the carrier is chosen (or named `by_hand`: carrier, service)
        and its label printed (domain/fulfilment/packing.py)."""
        return self._on_shipment(shipment_id, lambda unit, shipment: pack(
            unit, shipment, parcels, by_hand, self.carrier_adapters, now))  # fmt: skip

    def dispatch_shipment(
        self, shipment_id: UUID, carrier: str | None, service: str | None,
        tracking_number: str | None, now: datetime,
    ) -> Outcome:  # fmt: skip
        """Left out, the carrier, service and tracking number are the label's."""

        def step(unit: Unit, shipment: Shipment) -> None:
            code, named, number = handover(shipment, carrier, service, tracking_number)
            link = tracking_link(unit, shipment, code, number, self.carrier_adapters)
            dispatch(unit, shipment, code, named, number, now, link)

        return self._on_shipment(shipment_id, step)

    def _on_shipment(self, shipment_id: UUID, step: Callable[[Unit, Shipment], object]) -> Outcome:
        def work(unit: Unit) -> None:
            shipment = unit.get(Shipment, shipment_id)
            if shipment is None:
                raise NotFound(f"shipment {shipment_id} not found")
            step(unit, shipment)

        return self.act(work, keys=self._stock_keys(shipment_id))

    def _stock_keys(self, shipment_id: UUID) -> list[str]:
        """The stock items and the order a step on the shipment may change: the hot ones
        when a warehouse dispatches many parcels of a few SKUs at once."""
        shipment = self.find(Shipment, shipment_id)
        if shipment is None:
            return []
        stock = [stock_item_id_for(shipment.location, sku) for sku in shipment.skus.values()]
        return [str(item) for item in stock] + [shipment.order_id]


def pick(unit: Unit, shipment: Shipment, picked: dict[str, int], now: datetime) -> None:
    short = shipment.pick(picked, now)
    if not short:
        return
    for line_id, missing in short.items():
        item = _item(unit, shipment, line_id)
        item.give_back(shipment.order_id, {line_id: missing}, now)
        written_off = min(missing, item.on_hand)  # a count may have lowered it meanwhile
        if written_off:
            reference = f"short-pick:{shipment.id}:{line_id}"
            item.adjust(-written_off, "short pick", reference, now)
    order = unit.get(FulfilmentOrder, UUID(shipment.order_id))
    if order is not None:
        order.short_picked(shipment.location, short, now)
        if order.needs_sourcing:
            source_order(unit, order, max(now, order.latest_at or now))


def dispatch(
    unit: Unit, shipment: Shipment, carrier: str, service: str, tracking: str, now: datetime,
    link: str | None = None,
) -> None:  # fmt: skip
    if shipment.dispatch(carrier, service, tracking, now, link):
        claim_tracking_number(unit, shipment)
        for line_id, quantity in shipment.lines.items():
            _item(unit, shipment, line_id).ship(shipment.order_id, {line_id: quantity}, now)
        order = unit.get(FulfilmentOrder, UUID(shipment.order_id))
        if order is not None:
            clear_warnings(unit, order, now)


def _item(unit: Unit, shipment: Shipment, line_id: str) -> StockItem:
    sku = shipment.skus[line_id]
    found = unit.get(StockItem, stock_item_id_for(shipment.location, sku))
    return found if found is not None else StockItem(location_code=shipment.location, sku=sku)
