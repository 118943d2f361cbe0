"""Builders for locations and stock."""

from __future__ import annotations

from typing import Any

from domain.fulfilment.location import LocationProfile, LocationType


def a_location(code: str = "WH1", **overrides: Any) -> LocationProfile:
    values: dict[str, Any] = {
        "code": code,
        "name": f"Location {code}",
        "type": LocationType.WAREHOUSE,
        "country": "BE",
        "latitude": 51.2,
        "longitude": 4.4,
        "time_zone": "Europe/Brussels",
        "channels": ("webshop",),
        "daily_capacity": 100,
    }
    values.update(overrides)
    return LocationProfile(**values)


def a_location_body(**overrides: Any) -> dict[str, Any]:
    """The JSON body of PUT /locations/{code}."""
    body: dict[str, Any] = {
        "name": "Antwerp DC",
        "type": "distribution_centre",
        "country": "BE",
        "latitude": 51.2,
        "longitude": 4.4,
        "time_zone": "Europe/Brussels",
        "channels": ["webshop"],
        "daily_capacity": 500,
    }
    body.update(overrides)
    return body
