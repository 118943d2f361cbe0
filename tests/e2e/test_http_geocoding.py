"""Addresses without coordinates, end to end: located at intake, explained in routing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.locating
from adapters.geocoding import Found, Gazetteer
from api.bootstrap import Container
from tests.builders import an_order_payload
from tests.e2e.test_http_sourcing import given_network, last_decision, verdicts
from tests.stock_builders import a_location_body

WITHIN_500_KM = {
    "strategies": [{
        "name": "near",
        "criteria": [{"kind": "max_distance", "km": 500}, {"kind": "stock"}, {"kind": "distance"}],
        "fallback": "backorder",
    }]
}  # fmt: skip
LOCATED_ONLY = {
    "strategies": [{
        "name": "located only", "require_located": True,
        "criteria": [{"kind": "stock"}, {"kind": "distance"}], "fallback": "backorder",
    }]
}  # fmt: skip


def an_unlocated_order(city: str, country: str = "BE", **overrides: Any) -> dict[str, Any]:
    payload = an_order_payload(lines=1, **overrides)
    payload["lines"][0].update(quantity=1, sku="SKU-1")
    payload["total"] = "14.95"
    payload["shipping_address"].update(city=city, country=country)
    del payload["shipping_address"]["latitude"], payload["shipping_address"]["longitude"]
    return payload


def placed(client: TestClient, payload: dict[str, Any], status: int = 201) -> dict[str, Any]:
    answer = client.post("/orders", json=payload)
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def test_an_order_without_coordinates_is_located_by_its_city_and_routed_by_distance(client):
    given_network(client)
    order = placed(client, an_unlocated_order("Bruxelles"))  # GeoNames' alternate of Brussels
    destination = order["destination"]
    assert destination["located_by"]["method"] == "city"
    assert destination["located_by"]["source"] == "GeoNames 2800866"
    assert destination["latitude"] == pytest.approx(50.85, abs=0.05)
    decision = last_decision(client, order["order_id"])
    assert decision["destination"] == destination
    assert decision["plan"] == {"NEAR-FULL": {"1": 1}}  # the nearest with stock and capacity
    assert verdicts(decision, "FAR")["distance"]["value"] > 1000


def test_coordinates_sent_by_the_channel_are_located_by_given(client):
    given_network(client)
    payload = an_unlocated_order("Bruxelles")
    payload["shipping_address"].update(latitude=41.39, longitude=2.17)  # Barcelona says the channel
    order = placed(client, payload)
    assert order["destination"] == {"latitude": 41.39, "longitude": 2.17,
                                    "located_by": {"method": "given"}}  # fmt: skip
    assert last_decision(client, order["order_id"])["plan"] == {"FAR": {"1": 1}}


def test_an_unknown_city_leaves_the_distance_unknown_and_max_distance_not_passed(client):
    given_network(client, WITHIN_500_KM)
    order = placed(client, an_unlocated_order("Nowhere Town"))
    assert order["destination"] == {"located_by": {"method": "unknown"}}
    decision = last_decision(client, order["order_id"])
    assert decision["plan"] == {} and decision["unfilled"] == {"1": 1}
    limit = verdicts(decision, "NEAR-FULL")["max_distance"]
    assert limit["passed"] is False and limit["value"] is None
    assert limit["unknown"].startswith("unknown: the shipping address could not be located")


def test_a_strategy_that_requires_a_located_address_sources_nothing_without_one(client):
    given_network(client, LOCATED_ONLY)
    order = placed(client, an_unlocated_order("Nowhere Town"))
    decision = last_decision(client, order["order_id"])
    assert decision["plan"] == {} and decision["unfilled"] == {"1": 1}
    assert decision["fallback"] == "backorder"
    assert "requires a located address" in decision["reason"]
    assert verdicts(decision, "NEAR-FULL")["located_address"]["passed"] is False
    located = placed(client, an_unlocated_order("Bruxelles"))
    assert last_decision(client, located["order_id"])["plan"] == {"NEAR-FULL": {"1": 1}}


def test_a_retry_is_the_same_order_even_when_the_gazetteer_changed_in_between(client, monkeypatch):
    given_network(client)
    payload = an_unlocated_order("Bruxelles")
    first = placed(client, payload)
    moved = _a_gazetteer_that_moved_every_city(monkeypatch)
    again = placed(client, payload, status=200)
    assert moved and again["order_id"] == first["order_id"]
    assert again["destination"] == first["destination"]  # what was recorded, not today's lookup
    payload["shipping_address"]["line1"] = "Another street 2"
    assert client.post("/orders", json=payload).status_code == 409  # a real change still is one


def test_a_batch_recognises_a_retry_located_differently(dom: Container, monkeypatch):
    from datetime import UTC, datetime

    from api.http.schemas import PlaceOrderIn
    from api.locating import locate_order

    command = PlaceOrderIn.model_validate(an_unlocated_order("Bruxelles")).to_command()
    now = datetime.now(UTC)
    located = locate_order(command)
    _a_gazetteer_that_moved_every_city(monkeypatch)
    outcomes = dom.orders.place_orders([(located, now), (locate_order(command), now)])
    assert [getattr(o, "created", o) for o in outcomes] == [True, False]


def _a_gazetteer_that_moved_every_city(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The gazetteer's data changed (a new GeoNames release): every city 1 degree north."""
    moved: list[str] = []

    class Moved(Gazetteer):
        def locate(self, city: str, country: str, region: str | None = None) -> Found | None:
            found = super().locate(city, country, region)
            moved.append(city)
            return found and replace(found, latitude=found.latitude + 1)

    shifted = Moved()
    monkeypatch.setattr(api.locating, "gazetteer", lambda: shifted)
    return moved


def test_a_location_is_placed_by_its_city(client):
    body = a_location_body(country="FR", time_zone="Europe/Paris", address={"city": "Paris"})
    del body["latitude"], body["longitude"]
    answer = client.put("/locations/PAR", json=body)
    assert answer.status_code == 201, answer.text
    profile = answer.json()
    assert profile["latitude"] == pytest.approx(48.85, abs=0.05)
    assert profile["located_by"]["method"] == "city"
    assert profile["located_by"]["source"] == "GeoNames 2988507"
    assert client.put("/locations/PAR", json=body).status_code == 200  # identical: no change
    moved = client.patch("/locations/PAR", json={"address": {"city": "Lyon"}}).json()
    assert moved["latitude"] == pytest.approx(45.75, abs=0.05)
    given = client.patch("/locations/PAR", json={"latitude": 45.0, "longitude": 5.0}).json()
    assert given["located_by"] == {"method": "given"}


@pytest.mark.parametrize(
    ("address", "field"), [({"city": "Nowhere Town"}, "address.city"), ({}, "latitude")]
)
def test_a_location_that_cannot_be_located_is_refused_and_nothing_recorded(
    client, dom: Container, address, field
):
    body = a_location_body(address=address)
    del body["latitude"], body["longitude"]
    answer = client.put("/locations/LOST", json=body)
    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]
    assert not dom.fulfilment.knows_location("LOST")
