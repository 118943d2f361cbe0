"""Locations, counts, movements and availability through HTTP, on both stores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
from tests.stock_builders import a_location_body


def count(sku: str, quantity: int, location: str = "WH1", **extra) -> dict:
    return {"location": location, "sku": sku, "quantity": quantity,
            "counted_at": "2026-11-26T10:00:00+00:00", **extra}  # fmt: skip


def stored(dom: Container) -> int:
    return dom.fulfilment.recorder.max_notification_id() or 0


def test_put_location_creates_then_changes_then_changes_nothing(client: TestClient, dom: Container):
    created = client.put("/locations/wh1", json=a_location_body())
    assert created.status_code == 201 and created.json()["code"] == "WH1"
    changed = client.put("/locations/WH1", json=a_location_body(daily_capacity=800))
    assert changed.status_code == 200 and changed.json()["daily_capacity"] == 800
    before = stored(dom)
    assert client.put("/locations/WH1", json=a_location_body(daily_capacity=800)).status_code == 200
    assert stored(dom) == before
    assert [
        item["code"]
        for item in client.get("/locations", params={"channel": "webshop"}).json()["items"]
    ] == ["WH1"]


def test_put_replaces_the_profile_and_patch_changes_only_what_is_sent(
    client: TestClient, dom: Container
):
    """PUT reset fields it was not given without a word: it is a full replace (documented),
    and PATCH changes the fields sent, under the same rules, keeping the others."""
    client.put("/locations/WH1", json=a_location_body(priority=5, groups=["north"]))
    replaced = client.put("/locations/WH1", json=a_location_body()).json()
    assert replaced["priority"] == 100 and replaced["groups"] == []
    client.put("/locations/WH1", json=a_location_body(priority=5, groups=["north"]))
    patched = client.patch("/locations/WH1", json={"daily_capacity": 80, "active": False})
    assert patched.status_code == 200, patched.text
    profile = patched.json()
    assert (profile["daily_capacity"], profile["active"]) == (80, False)
    assert (profile["priority"], profile["groups"], profile["name"]) == (5, ["north"], "Antwerp DC")
    before = recorded_fulfilment(dom)
    assert client.patch("/locations/WH1", json={"daily_capacity": 80}).status_code == 200
    assert client.patch("/locations/WH1", json={}).status_code == 200
    for body, field in [({"priority": -1}, "priority"), ({"country": "be"}, "country"),
                        ({"name": None}, "body"), ({"colour": "red"}, "colour"),
                        ({"time_zone": "Mars/Base"}, "time_zone")]:  # fmt: skip
        refused = client.patch("/locations/WH1", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in [problem["field"] for problem in refused.json()["fields"]], refused.text
    assert recorded_fulfilment(dom) == before
    missing = client.patch("/locations/NOPE", json={"priority": 1})
    assert missing.status_code == 404


def recorded_fulfilment(dom: Container) -> int:
    return dom.fulfilment.recorder.max_notification_id() or 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"type": "castle"}, "type"),
        ({"cutoff_time": "25:00"}, "cutoff_time"),
        ({"country": "XX"}, "country"),
        ({"colour": "red"}, "colour"),
        ({"working_days": ["mon", "funday"]}, "working_days"),
    ],
)
def test_bad_locations_are_refused_naming_the_field(
    client: TestClient, dom: Container, change, field
):
    answer = client.put("/locations/WH1", json=a_location_body(**change))
    assert answer.status_code == 422
    assert field in [problem["field"] for problem in answer.json()["fields"]]
    assert stored(dom) == 0


def test_counts_and_movements_show_in_availability_at_once(client: TestClient):
    client.put("/locations/WH1", json=a_location_body())
    client.put("/locations/ST1", json=a_location_body(type="store", channels=["webshop", "pos"]))
    counts = [count("A", 10), count("A", 3, "ST1", safety_stock=1), count("B", 0)]
    assert client.post("/stock/counts", json={"counts": counts}).json() == {
        "applied": 3,
        "unchanged": 0,
    }
    moved = client.post("/stock/movements", json={"location": "WH1", "sku": "A", "movement": "received",
                                                   "quantity": 5, "reference": "PO-7"})  # fmt: skip
    assert moved.json()["on_hand"] == 15
    again = client.post("/stock/movements", json={"location": "WH1", "sku": "A", "movement": "received",
                                                   "quantity": 5, "reference": "PO-7"})  # fmt: skip
    assert again.json()["changed"] is False and again.json()["on_hand"] == 15
    other = client.post("/stock/movements", json={"location": "WH1", "sku": "A", "movement": "received",
                                                   "quantity": 6, "reference": "PO-7"})  # fmt: skip
    assert other.status_code == 409 and other.json()["error"] == "conflict", other.text
    assert "PO-7 was used for another movement" in other.json()["detail"]
    items = client.get("/availability", params=[("sku", "A"), ("sku", "B"), ("channel", "webshop")])
    assert [(i["sku"], i["available_to_promise"]) for i in items.json()["items"]] == [
        ("A", 17),
        ("B", 0),
    ]
    pos = client.get("/availability", params={"sku": "A", "channel": "pos"}).json()["items"][0]
    assert pos["available_to_promise"] == 2
    per_location = client.get("/inventory/A").json()["locations"]
    assert [(row["location"], row["available"]) for row in per_location] == [
        ("ST1", 2),
        ("WH1", 15),
    ]


def test_bulk_counts_of_thousands_of_lines(client: TestClient):
    client.put("/locations/WH1", json=a_location_body())
    counts = [count(f"SKU-{n}", n % 40) for n in range(3000)]
    assert client.post("/stock/counts", json={"counts": counts}).json()["applied"] == 3000
    assert client.post("/stock/counts", json={"counts": counts}).json() == {
        "applied": 0,
        "unchanged": 3000,
    }


def test_bad_stock_commands_change_nothing(client: TestClient, dom: Container):
    client.put("/locations/WH1", json=a_location_body())
    before = stored(dom)
    unknown = client.post("/stock/counts", json={"counts": [count("A", 1), count("A", 1, "NOPE")]})
    assert unknown.status_code == 404 and "'NOPE'" in unknown.json()["detail"]
    negative = client.post("/stock/counts", json={"counts": [count("A", -1)]})
    assert (
        negative.status_code == 422 and negative.json()["fields"][0]["field"] == "counts.0.quantity"
    )
    damage = client.post("/stock/movements", json={"location": "WH1", "sku": "A", "movement": "damaged",
                                                    "quantity": 5, "reference": "D-1"})  # fmt: skip
    assert damage.status_code == 409 and damage.json()["error"] == "insufficient_stock"
    assert stored(dom) == before
    assert (
        client.get("/availability", params={"sku": "A"}).status_code == 422
    )  # channel is required


def test_a_reservation_shows_in_availability_at_once_and_never_oversells(client: TestClient):
    client.put("/locations/WH1", json=a_location_body())
    client.post("/stock/counts", json={"counts": [count("A", 5)]})
    body = {"location": "WH1", "sku": "A", "order_id": "o-1", "lines": {"1": 2, "2": 1}}
    reserved = client.post("/stock/reservations", json=body)
    assert reserved.status_code == 200 and reserved.json()["available"] == 2
    assert client.post("/stock/reservations", json=body).json()["changed"] is False
    atp = client.get("/availability", params={"sku": "A", "channel": "webshop"}).json()["items"][0]
    assert atp["available_to_promise"] == 2
    too_many = client.post(
        "/stock/reservations", json={**body, "order_id": "o-2", "lines": {"1": 3}}
    )
    assert too_many.status_code == 409 and too_many.json()["error"] == "insufficient_stock"
    released = client.post(
        "/stock/reservations/release", json={"location": "WH1", "sku": "A", "order_id": "o-1"}
    )
    assert released.json()["available"] == 5
    atp = client.get("/availability", params={"sku": "A", "channel": "webshop"}).json()["items"][0]
    assert atp["available_to_promise"] == 5
