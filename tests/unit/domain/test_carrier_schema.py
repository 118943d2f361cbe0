"""A carrier definition is checked strictly, every problem named by its path, and stored
normalised; the Carrier is versioned by its definitions."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.carrier import Carrier
from domain.fulfilment.carrier_schema import normalise_carrier
from tests.builders import NOW
from tests.carrier_builders import a_carrier, bands


def problems(definition: Any) -> dict[str, str]:
    with pytest.raises(InvalidCommand) as refused:
        normalise_carrier(definition)
    return {p.field: p.message for p in refused.value.problems}


def test_a_definition_is_stored_normalised_and_normalising_it_again_changes_nothing():
    messy = a_carrier("bpost", working_days=["fri", "mon"], pickup_cutoffs={"wh-bru": "16:00"})
    messy["services"]["express"]["rates"]["domestic"] = bands((10000, 10))
    stored = normalise_carrier(messy)
    assert stored["code"] == "BPOST" and stored["working_days"] == ["mon", "fri"]
    assert stored["pickup_cutoffs"] == {"WH-BRU": "16:00"}
    assert stored["services"]["express"]["rates"]["domestic"][0]["price"] == "10.00"
    assert stored["active"] is True and stored["adapter"] == "builtin"
    assert normalise_carrier(stored) == stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"surprise": 1}, "surprise"),
        ({"code": "B POST"}, "code"),
        ({"name": "b\x00post"}, "name"),
        ({"currency": "XYZ"}, "currency"),
        ({"working_days": ["mon", "someday"]}, "working_days.1"),
        ({"pickup_cutoffs": {"WH-BRU": "25:00"}}, "pickup_cutoffs.WH-BRU"),
        ({"zones": {"domestic": ["XX"]}}, "zones.domestic.0"),
        ({"zones": {"domestic": ["be"]}}, "zones.domestic.0"),
        ({"zones": {"domestic": ["BE:1299-1000"]}}, "zones.domestic.0"),
        ({"tracking_url": "https://track.example/"}, "tracking_url"),
        ({"tracking_prefix": "B1"}, "tracking_prefix"),
        ({"active": "yes"}, "active"),
    ],
)
def test_a_bad_field_is_refused_by_its_path(change: dict[str, Any], field: str):
    assert field in problems(a_carrier() | change)


def services_with(**standard: Any) -> dict[str, Any]:
    service = a_carrier()["services"]["standard"] | standard
    return {"standard": service}


@pytest.mark.parametrize(
    ("services", "field", "message"),
    [
        (services_with(transit_days={"domestic": 61}), "services.standard.transit_days.domestic",
         "less than or equal to 60"),
        (services_with(rates={"domestic": bands((2000, "-1"))}),
         "services.standard.rates.domestic.0.price", ""),
        (services_with(rates={"domestic": bands((2000, 4.95))}),
         "services.standard.rates.domestic.0.price", "decimal string"),
        (services_with(rates={"domestic": bands((2000, "4.955"))}),
         "services.standard.rates.domestic.0.price", "more than 2 decimals for EUR"),
        (services_with(rates={"domestic": bands((2000, "4"), (2000, "5"))}),
         "services.standard.rates.domestic", "increasing"),
        (services_with(rates={"mars": bands((2000, "4"))}),
         "services.standard.rates.mars", "not a zone of this carrier"),
        (services_with(transit_days={"domestic": 1, "moon": 2}),
         "services.standard.transit_days.moon", "not a zone of this carrier"),
    ],
)  # fmt: skip
def test_rates_and_transit_times_are_checked_across_fields(
    services: dict[str, Any], field: str, message: str
):
    found = problems(a_carrier(services=services))
    assert field in found and message in found[field], found


def test_a_destination_in_two_zones_and_a_builtin_carrier_without_prefix_are_refused():
    found = problems(a_carrier(zones={"domestic": ["BE"], "near": ["BE", "NL"]},
                               tracking_prefix=None))  # fmt: skip
    assert "zones.near" in found and "tracking_prefix" in found


def test_a_carrier_is_versioned_by_its_definitions_and_the_same_one_changes_nothing():
    carrier = Carrier(code="bpost")
    definition = normalise_carrier(a_carrier())
    assert carrier.define(definition, NOW) is True and carrier.revision == 1
    assert carrier.define(normalise_carrier(a_carrier()), NOW) is False
    assert carrier.define(definition | {"active": False}, NOW) is True
    assert carrier.revision == 2 and not carrier.active and carrier.code == "BPOST"
    assert [type(e).__name__ for e in carrier.collect_events()] == ["Created", "Defined", "Defined"]
