"""Packing chooses the carrier: once the parcels are weighed, the shipment's carrier and
service are chosen (`carriage.choose_service`), explained, and its label printed at the
pack station, all in the pack step's transaction.

With no active carrier defined (an install that has not described its carriers), a pack
records that no choice was made and why, and dispatch names the carrier, service and
tracking number itself, as before carriers were data. With active carriers, a shipment
none of them can take is refused at pack (NoCarrier, the explanation as its detail),
nothing recorded. Dispatch then hands over what the label says: the carrier, service and
tracking number may be left out, and when given must agree with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.errors import Conflict, FieldProblem, InvalidCommand, NotFound
from domain.fulfilment.carriage import Asked, Choice, Destination, Pickup, choose_service
from domain.fulfilment.carrier import (
    CARRIER_DIRECTORY_ID,
    Carrier,
    CarrierDirectory,
    carrier_id_for,
)
from domain.fulfilment.carrier_port import CarrierAdapter, Consignment
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.location import Location, location_id_for
from domain.fulfilment.shipment import Shipment
from domain.processing import Unit


class NoCarrier(Conflict):
    """Carriers are defined, and none can take the shipment as asked."""

    code = "no_carrier"


def pack(
    unit: Unit, shipment: Shipment, parcels: list[dict[str, int]], by_hand: tuple[str, str] | None,
    adapters: Mapping[str, CarrierAdapter], now: datetime,
) -> None:  # fmt: skip
    """Pack, choose the carrier (or the one the warehouse names) and print its label."""
    if not shipment.pack(parcels, now):
        _same_carrier(shipment, by_hand)
        return
    carriers = [c.definition for c in _carriers(unit) if c.active]
    if by_hand and by_hand[0].upper() not in {c["code"] for c in carriers}:
        raise NotFound(f"no active carrier {by_hand[0].upper()} is defined")
    if not carriers:
        choice = Choice(None, "none: no active carrier is defined", [],
                        "no active carrier is defined: dispatch names the carrier")  # fmt: skip
        shipment.choose_carrier(choice.as_record(), {}, now)
        return
    order = unit.get(FulfilmentOrder, UUID(shipment.order_id))
    location = unit.get(Location, location_id_for(shipment.location))
    known = order.order if order is not None else {}
    if order is not None and order.promise is not None:  # the deliver-by it was promised
        known = known | {"deliver_by": order.promise["deliver_by"]}
    destination = Destination(known.get("country", ""), known.get("postal_code"))
    choice = choose_service(carriers, destination, [p["weight_grams"] for p in parcels],
                            _pickup(location, shipment.location, now), _asked(known, by_hand))  # fmt: skip
    if choice.chosen is None:
        raise NoCarrier(_why_not(choice))
    carrier = next(c for c in carriers if c["code"] == choice.chosen.carrier)
    adapter = adapters.get(carrier["adapter"])
    if adapter is None:
        raise NotFound(
            f"carrier {carrier['code']} uses adapter {carrier['adapter']!r}, not installed"
        )
    origin = location.profile["country"] if location is not None else known.get("country", "")
    consignment = Consignment(str(shipment.id), shipment.order_id, shipment.location, origin,
                              known.get("ship_to") or {"country": destination.country}, parcels)  # fmt: skip
    number, document = adapter.create_label(carrier, consignment, choice.chosen)
    label = {"tracking_number": number, "label": document,
             "tracking_link": adapter.tracking_link(carrier, number)}  # fmt: skip
    shipment.choose_carrier(choice.as_record(), label, now)


def handover(
    shipment: Shipment, carrier: str | None, service: str | None, tracking_number: str | None
) -> tuple[str, str, str]:
    """What dispatch records: the label's carrier, service and tracking number, or those
    given when no carrier was chosen at pack. Given ones must agree with the label."""
    chosen = _chosen(shipment)
    if chosen is None:
        given = {"carrier": carrier, "service": service, "tracking_number": tracking_number}
        if missing := [name for name, value in given.items() if not value]:
            reason = "required: no carrier was chosen when the shipment was packed"
            raise InvalidCommand([FieldProblem(name, reason) for name in missing])
        return carrier, service, tracking_number  # type: ignore[return-value]
    label = (chosen["carrier"], chosen["service"], shipment.carriage["tracking_number"])  # type: ignore[index]
    for name, value, wanted in zip(("carrier", "service", "tracking_number"),
                                   (carrier, service, tracking_number), label, strict=True):  # fmt: skip
        if value is not None and value.upper() != wanted.upper():
            raise Conflict(f"{name} {value!r} is not the label's: {wanted!r} (chosen at pack)")
    return label


def tracking_link(
    unit: Unit, shipment: Shipment, carrier: str, number: str,
    adapters: Mapping[str, CarrierAdapter],
) -> str | None:  # fmt: skip
    """The carrier's page for the parcel: the label's when dispatched as labelled, else
    made by the named carrier's adapter when that carrier is defined; None otherwise."""
    label = shipment.carriage
    if label and str(label.get("tracking_number", "")).upper() == number.upper():
        return label.get("tracking_link")
    found = unit.get(Carrier, carrier_id_for(carrier))
    definition = found.definition if found is not None else {}
    adapter = adapters.get(definition.get("adapter", ""))
    return adapter.tracking_link(definition, number) if adapter is not None else None


def _same_carrier(shipment: Shipment, by_hand: tuple[str, str] | None) -> None:
    """A repeated pack changes nothing; naming another carrier than the one chosen is a
    conflict (the label is printed)."""
    chosen = _chosen(shipment)
    if by_hand and (chosen is None or (chosen["carrier"], chosen["service"]) != (
            by_hand[0].upper(), by_hand[1])):  # fmt: skip
        was = f"{chosen['carrier']} {chosen['service']}" if chosen else "no carrier"
        raise Conflict(f"shipment {shipment.id} was packed already, with {was}")


def _chosen(shipment: Shipment) -> dict[str, Any] | None:
    return shipment.carriage["choice"]["chosen"] if shipment.carriage else None


def _carriers(unit: Unit) -> list[Carrier]:
    directory = unit.get(CarrierDirectory, CARRIER_DIRECTORY_ID)
    codes = directory.codes if directory is not None else []
    return [c for code in codes if (c := unit.get(Carrier, carrier_id_for(code))) is not None]


def _pickup(location: Location | None, code: str, now: datetime) -> Pickup:
    if location is None:
        return Pickup(code, now.replace(tzinfo=None))
    local = now.astimezone(ZoneInfo(location.profile["time_zone"])).replace(tzinfo=None)
    return Pickup(code, local, location.profile.get("cutoff_time", "17:00"))


def _asked(order: dict[str, Any], by_hand: tuple[str, str] | None) -> Asked:
    deliver_by = order.get("deliver_by")
    return Asked(
        service_level=order.get("service_level"),
        deliver_by=date.fromisoformat(deliver_by[:10]) if deliver_by else None,
        carrier=by_hand[0] if by_hand else None,
        service=by_hand[1] if by_hand else None,
    )


def _why_not(choice: Choice) -> str:
    passed = "; ".join(f"{c['carrier']} {c['service']}: {c['passed_over']}"
                       for c in choice.candidates)  # fmt: skip
    return f"{choice.reason}. {passed}" if passed else str(choice.reason)
