"""Where an address is, decided at the edge: every way in that builds a command asks here.

Orders: a shipping address without coordinates is looked up by city in the
offline gazetteer (adapters.geocoding) and the command carries what was found
(`PlaceOrder.located`); the domain records it as the order's destination, and
an address not found is recorded as located by "unknown". Locations: a
location needs a point, so one without coordinates is located by its
`address.city` in its country, or refused (422) when it cannot be.

The domain never looks anything up: the same command gives the same events,
and a replay reads the recorded point, not today's gazetteer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.geocoding import Found, gazetteer
from domain.errors import FieldProblem, InvalidCommand
from domain.fulfilment.location import LocationProfile
from domain.orders.placement import GIVEN, Located, PlaceOrder


def locate_order(command: PlaceOrder) -> PlaceOrder:
    """The command, with the point of its shipping address when the channel sent none."""
    address = command.shipping_address
    if address.latitude is not None or address.longitude is not None or command.located:
        return command
    found = gazetteer().locate(address.city, address.country, address.region)
    if found is None:
        return command
    return replace(command, located=Located(found.latitude, found.longitude, found.located_by()))


def locate_location(values: dict[str, Any]) -> dict[str, Any]:
    """A location profile's fields with its point: the coordinates sent (located by "given"),
    else its address's city located in its country; InvalidCommand when neither gives one."""
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise InvalidCommand([FieldProblem(missing, "latitude and longitude come together")])
    if latitude is not None:
        return values | {"located_by": dict(GIVEN)}
    found = _by_city(values)
    return values | {
        "latitude": found.latitude,
        "longitude": found.longitude,
        "located_by": found.located_by(),
    }


def relocated(current: LocationProfile, changes: dict[str, Any]) -> dict[str, Any]:
    """PATCH: the profile's fields after `changes`, located again when the change calls for it:
    new coordinates are "given"; a new address or country moves a point found by city."""
    values = vars(current) | changes
    if "latitude" in changes or "longitude" in changes:
        return locate_location(values)
    moved = {"address", "country"} & changes.keys()
    if moved and current.located_by.get("method") == "city":
        return locate_location(values | {"latitude": None, "longitude": None})
    return values


def _by_city(values: dict[str, Any]) -> Found:
    address = values.get("address") or {}
    city, country = address.get("city"), values.get("country") or ""
    if not city:
        raise InvalidCommand([FieldProblem(
            "latitude",
            "a location needs a point: give latitude and longitude, or an address.city to locate",
        )])  # fmt: skip
    found = gazetteer().locate(city, country, address.get("region"))
    if found is None:
        raise InvalidCommand([FieldProblem(
            "address.city",
            f"{city!r} could not be located in {country}: give latitude and longitude",
        )])  # fmt: skip
    return found
