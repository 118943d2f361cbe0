"""Carriers through HTTP on both stores: defined as data and versioned; at pack dom
chooses the carrier and service, explains it and prints the label; dispatch hands over
what the label says; with no carrier defined, shipments go as before."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import an_order_payload
from tests.carrier_builders import a_carrier, a_cheap_slow_carrier
from tests.e2e.test_http_shipments import PARCEL, given_two_locations, shipment_of, step
from tests.e2e.test_http_sourcing import BRUSSELS


def define(client: TestClient, definition: dict[str, Any]) -> Any:
    return client.put(f"/carriers/{definition['code']}", json=definition)


def place(client: TestClient, **order: Any) -> str:
    payload = an_order_payload(lines=1) | order
    payload["lines"][0].update(quantity=1, sku="SKU-1")
    payload["total"] = "14.95"
    payload["shipping_address"].update(BRUSSELS)
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


def packed(client: TestClient, order_id: str, **named: str) -> Any:
    shipment = shipment_of(client, order_id)
    step(client, shipment, "accept")
    step(client, shipment, "pick", {"lines": {"1": 1}})
    return step(client, shipment, "pack", {"parcels": [PARCEL]} | named)


def test_a_carrier_is_defined_versioned_listed_and_read(client: TestClient):
    first = define(client, a_carrier())
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["changed"] is True
    again = define(client, a_carrier())
    assert again.json()["version"] == 1 and again.json()["changed"] is False
    lowered = client.put("/carriers/bpost", json=a_carrier() | {"code": None, "active": False})
    assert lowered.json()["version"] == 2 and lowered.json()["active"] is False
    define(client, a_cheap_slow_carrier())
    listed = client.get("/carriers").json()["items"]
    assert [(c["code"], c["version"]) for c in listed] == [("BPOST", 2), ("SLOWPOST", 1)]
    read = client.get("/carriers/Bpost").json()
    assert read["services"]["standard"]["rates"]["domestic"][0] == {
        "up_to_grams": 2000, "price": "4.95"}  # fmt: skip
    assert client.get("/carriers/DHL").status_code == 404


def test_a_bad_definition_is_refused_naming_the_field_and_nothing_is_recorded(
    client: TestClient,
):
    bad = a_carrier(code="NEW")
    bad["services"]["standard"]["rates"]["domestic"][0]["price"] = "-1"
    refused = define(client, bad)
    assert refused.status_code == 422 and refused.json()["error"] == "validation_error"
    assert refused.json()["fields"][0]["field"] == "services.standard.rates.domestic.0.price"
    crossed = a_carrier(code="NEW", zones={"domestic": ["BE"]})  # near, bxl: no such zone
    answer = define(client, crossed)
    assert answer.status_code == 422, answer.text
    assert {f["field"] for f in answer.json()["fields"]} >= {"services.standard.rates.near"}
    other = client.put("/carriers/OTHER", json=a_carrier(code="NEW"))
    assert other.status_code == 422 and other.json()["fields"][0]["field"] == "code"
    unknown = define(client, a_carrier(code="NEW", adapter="pigeon"))
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "adapter"
    assert client.get("/carriers/NEW").status_code == 404
    assert client.get("/carriers").json() == {"items": []}


def test_pack_chooses_the_cheapest_explains_it_prints_the_label_and_dispatch_uses_it(
    client: TestClient,
):
    given_two_locations(client)
    define(client, a_carrier())
    define(client, a_cheap_slow_carrier())
    order_id = place(client)
    answer = packed(client, order_id)
    assert answer.status_code == 200, answer.text
    choice = answer.json()["carrier_choice"]
    assert choice["choice"]["chosen"]["carrier"] == "SLOWPOST"
    assert choice["choice"]["chosen"]["price"] == "3.00"
    assert choice["choice"]["rule"].startswith("the cheapest")
    why = {(c["carrier"], c["service"]): c for c in choice["choice"]["candidates"]}
    assert why[("BPOST", "standard")]["passed_over"] == "dearer or later than SLOWPOST eco"
    number = choice["tracking_number"]
    assert number.startswith("SP") and number.endswith("BE") and len(number) == 13
    assert choice["tracking_link"] == f"https://track.example/{number}"
    shipment = answer.json()["shipment_id"]
    [listed] = client.get("/locations/FIRST/shipments", params={"status": "packed"}).json()["items"]
    assert (listed["carrier"], listed["tracking_number"]) == ("SLOWPOST", number)
    label = client.get(choice["label"])
    assert label.status_code == 200 and label.headers["content-type"] == "application/zpl"
    assert label.text.startswith("^XA") and number in label.text
    assert step(client, shipment, "pack", {"parcels": [PARCEL]}).json()["changed"] is False
    wrong = step(client, shipment, "dispatch", {"tracking_number": "BP-123456789"})
    assert wrong.status_code == 409 and wrong.json()["error"] == "conflict"
    dispatched = client.post(f"/shipments/{shipment}/dispatch")
    assert dispatched.status_code == 200, dispatched.text
    read = dispatched.json()
    assert (read["status"], read["carrier"], read["service"], read["tracking_number"]) == (
        "dispatched", "SLOWPOST", "eco", number)  # fmt: skip
    same = step(client, shipment, "dispatch", {"carrier": "slowpost", "tracking_number": number})
    assert same.status_code == 200 and same.json()["changed"] is False
    [shipped] = client.get(f"/orders/{order_id}").json()["shipments"]
    assert shipped["tracking_number"] == number
    assert shipped["tracking_link"] == f"https://track.example/{number}"


def test_a_parcel_handed_to_a_carrier_defined_after_pack_gets_that_carriers_link(
    client: TestClient,
):
    given_two_locations(client)
    order_id, other = place(client), place(client)
    shipment = packed(client, order_id).json()["shipment_id"]  # no carrier defined: none chosen
    parcel = packed(client, other).json()["shipment_id"]
    define(client, a_carrier())
    handed = {"carrier": "bpost", "service": "standard", "tracking_number": "BP-1"}
    assert step(client, shipment, "dispatch", handed).status_code == 200
    [shipped] = client.get(f"/orders/{order_id}").json()["shipments"]
    assert shipped["tracking_link"] == "https://track.example/BP-1"
    unknown = {"carrier": "dhl", "service": "standard", "tracking_number": "DHL-1234"}
    assert step(client, parcel, "dispatch", unknown).status_code == 200
    [shipped] = client.get(f"/orders/{other}").json()["shipments"]
    assert shipped["tracking_link"] is None  # a carrier dom does not know: no page to link


def test_the_orders_service_level_and_the_warehouses_choice_win_over_the_cheapest(
    client: TestClient,
):
    given_two_locations(client)
    define(client, a_carrier())
    define(client, a_cheap_slow_carrier())
    express = packed(client, place(client, service_level="express"))
    chosen = express.json()["carrier_choice"]["choice"]["chosen"]
    assert (chosen["carrier"], chosen["service"], chosen["price"]) == ("BPOST", "express", "9.90")
    by_hand = packed(client, place(client), carrier="bpost", service="standard")
    choice = by_hand.json()["carrier_choice"]["choice"]
    assert choice["rule"] == "asked by the warehouse: BPOST standard"
    assert choice["chosen"]["service"] == "standard"


def test_a_shipment_no_carrier_can_take_is_refused_at_pack_and_nothing_is_recorded(
    client: TestClient,
):
    given_two_locations(client)
    define(client, a_carrier())
    order_id = place(client, service_level="same_day")
    refused = packed(client, order_id)
    assert refused.status_code == 409 and refused.json()["error"] == "no_carrier"
    assert "service level express, not same_day" in refused.json()["detail"]
    shipment = shipment_of(client, order_id)
    read = client.get(f"/shipments/{shipment}").json()
    assert read["status"] == "picked" and "carrier_choice" not in read
    unknown = step(client, shipment, "pack", {"parcels": [PARCEL], "carrier": "dhl",
                                               "service": "standard"})  # fmt: skip
    assert unknown.status_code == 404
    half = step(client, shipment, "pack", {"parcels": [PARCEL], "carrier": "bpost"})
    assert half.status_code == 422
    assert client.get(f"/shipments/{shipment}/label").status_code == 404


def test_with_no_carrier_defined_dispatch_names_the_carrier_as_before(client: TestClient):
    given_two_locations(client)
    order_id = place(client)
    answer = packed(client, order_id)
    assert answer.status_code == 200, answer.text
    choice = answer.json()["carrier_choice"]["choice"]
    assert choice["chosen"] is None and "no active carrier" in choice["reason"]
    shipment = answer.json()["shipment_id"]
    missing = client.post(f"/shipments/{shipment}/dispatch", json={"carrier": "bpost"})
    assert missing.status_code == 422
    assert {f["field"] for f in missing.json()["fields"]} == {"service", "tracking_number"}
    handed = {"carrier": "bpost", "service": "standard", "tracking_number": "BP-1234"}
    assert step(client, shipment, "dispatch", handed).status_code == 200
