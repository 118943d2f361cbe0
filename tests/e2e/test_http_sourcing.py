"""Sourcing end to end, on both stores: policy, locations, stock, orders through HTTP."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
from domain.fulfilment.shipment import Shipment
from tests.builders import an_order_payload
from tests.stock_builders import a_location_body

BRUSSELS = {"latitude": 50.85, "longitude": 4.35}
DISTANCE_THEN_CAPACITY = {
    "strategies": [
        {
            "name": "nearest that can ship",
            "criteria": [
                {"kind": "capacity"},
                {"kind": "stock", "mode": "line"},
                {"kind": "distance"},
            ],
            "fallback": "backorder",
        }
    ]
}


def given_network(client: TestClient, policy: dict = DISTANCE_THEN_CAPACITY) -> None:
    """FAR has stock; NEAR-EMPTY has none; NEAR-FULL has stock but no capacity left."""
    client.put("/locations/FAR", json=a_location_body(latitude=41.39, longitude=2.17, country="ES",
                                                      time_zone="Europe/Madrid"))  # fmt: skip
    client.put("/locations/NEAR-EMPTY", json=a_location_body(latitude=50.9, longitude=4.4))
    client.put(
        "/locations/NEAR-FULL", json=a_location_body(latitude=50.8, longitude=4.3, daily_capacity=1)
    )
    counts = [{"location": code, "sku": "SKU-1", "quantity": q, "counted_at": "2026-11-26T08:00:00Z"}
              for code, q in (("FAR", 10), ("NEAR-EMPTY", 0), ("NEAR-FULL", 10))]  # fmt: skip
    client.post("/stock/counts", json={"counts": counts})
    client.post("/routing-policies/default/versions", json={"rules": policy})
    client.post("/routing-policies/default/versions/1/activate")


def place(
    client: TestClient, quantity: int = 1, pickup_location: str | None = None, **address
) -> str:
    payload = an_order_payload(lines=1)
    if pickup_location:
        payload["pickup_location"] = pickup_location
    payload["lines"][0].update(quantity=quantity, sku="SKU-1")
    payload["total"] = f"{10 * quantity + 4.95:.2f}"
    payload["shipping_address"].update(BRUSSELS | address)
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


def last_decision(client: TestClient, order_id: str) -> dict:
    return client.get(f"/orders/{order_id}/routing").json()["decisions"][-1]


def verdicts(decision: dict, code: str) -> dict:
    [candidate] = [c for c in decision["candidates"] if c["location"] == code]
    return {v["criterion"]: v for v in candidate["verdicts"]} | {"_": candidate}


def test_distance_then_capacity_chooses_and_explains(client: TestClient):
    given_network(client)
    first = place(client)  # takes NEAR-FULL's only slot of the day
    assert last_decision(client, first)["plan"] == {"NEAR-FULL": {"1": 1}}
    order_id = place(client)
    decision = last_decision(client, order_id)
    assert decision["plan"] == {"FAR": {"1": 1}}
    assert decision["strategy"] == "nearest that can ship" and decision["policy_version"] == 1
    assert verdicts(decision, "NEAR-EMPTY")["stock"]["passed"] is False
    assert verdicts(decision, "NEAR-FULL")["capacity"]["passed"] is False
    far = verdicts(decision, "FAR")
    assert far["_"]["rank"] == 1 and far["distance"]["value"] > 1000
    detail = client.get(f"/orders/{order_id}").json()
    assert detail["status"] == "allocated" and detail["lines"][0]["allocations"] == {"FAR": 1}
    inventory = {row["location"]: row for row in client.get("/inventory/SKU-1").json()["locations"]}
    assert inventory["FAR"]["reserved"] == 1 and inventory["NEAR-FULL"]["reserved"] == 1


def test_a_rejection_routes_the_lines_elsewhere(client: TestClient):
    given_network(client)
    order_id = place(client)
    first = last_decision(client, order_id)
    assert first["plan"] == {"NEAR-FULL": {"1": 1}}
    shipment = first["shipments"]["NEAR-FULL"]
    rejected = client.post(f"/shipments/{shipment}/reject", json={"reason": "shelf empty"})
    assert rejected.json()["changed"] is True
    again = last_decision(client, order_id)
    assert again["plan"] == {"FAR": {"1": 1}} and again["attempt"] == 2
    [gone] = [c for c in again["candidates"] if c["location"] == "NEAR-FULL"]
    assert gone["excluded"] and gone["verdicts"][0]["criterion"] == "rejected_earlier"
    inventory = {row["location"]: row for row in client.get("/inventory/SKU-1").json()["locations"]}
    assert inventory["NEAR-FULL"]["reserved"] == 0 and inventory["FAR"]["reserved"] == 1
    assert (
        client.post(f"/shipments/{shipment}/reject", json={"reason": "again"}).json()["changed"]
        is False
    )


def test_a_shipment_reads_back_with_its_lines_state_and_history(client: TestClient):
    """There was no GET for shipments: a rejected one could only be seen in the routing."""
    given_network(client)
    order_id = place(client)
    shipment = last_decision(client, order_id)["shipments"]["NEAR-FULL"]
    requested = client.get(f"/shipments/{shipment}").json()
    assert requested | {"requested_at": None, "history": None} == {
        "shipment_id": shipment, "order_id": order_id, "location": "NEAR-FULL", "attempt": 1,
        "status": "requested", "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 1}],
        "requested_at": None, "history": None, "picked": {}, "parcels": [], "dispatched_at": None,
        "delivered_at": None,
    }  # fmt: skip
    client.post(f"/shipments/{shipment}/reject", json={"reason": "shelf empty"})
    rejected = client.get(f"/shipments/{shipment}").json()
    assert rejected["status"] == "rejected"
    assert [(h["status"], h.get("reason")) for h in rejected["history"]] == [
        ("requested", None),
        ("rejected", "shelf empty"),
    ]
    missing = client.get("/shipments/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_a_backorder_is_sourced_when_stock_arrives(client: TestClient):
    given_network(client)
    order_id = place(client, quantity=20)  # nobody has 20
    decision = last_decision(client, order_id)
    assert decision["plan"] == {} and decision["fallback"] == "backorder"
    queue = client.get("/exceptions").json()["items"]
    assert [(item["order_id"], item["kind"]) for item in queue] == [(order_id, "backordered")]
    detail = client.get(f"/orders/{order_id}").json()  # the order's own detail says so too
    assert detail["waiting"] | {"since": None} == {
        "kind": "backordered",
        "reason": queue[0]["reason"],
        "lines": {"1": 20},
        "since": None,
        "actions": queue[0]["actions"],
    }
    assert detail["waiting"]["since"] == queue[0]["since"] and detail["parked"] == []
    client.post("/stock/movements", json={"location": "FAR", "sku": "SKU-1", "movement": "received",
                                          "quantity": 15, "reference": "PO-9"})  # fmt: skip
    assert last_decision(client, order_id)["plan"] == {"FAR": {"1": 20}}
    assert client.get("/exceptions").json()["items"] == []
    assert client.get(f"/orders/{order_id}").json()["status"] == "allocated"


def test_an_unfillable_order_lands_in_the_exception_queue(client: TestClient):
    rules = {"strategies": [{"name": "only stores", "criteria": [{"kind": "location_type", "include": ["store"]}],
                             "fallback": "exception"}]}  # fmt: skip
    given_network(client, rules)
    order_id = place(client)
    [item] = client.get("/exceptions").json()["items"]
    assert item["order_id"] == order_id and item["kind"] == "needs_decision"
    assert "line(s) 1" in item["reason"]
    assert client.get("/exceptions", params={"kind": "backordered"}).json()["items"] == []


def test_without_an_active_policy_orders_wait_for_a_person(client: TestClient):
    client.put("/locations/FAR", json=a_location_body())
    order_id = place(client)
    [item] = client.get("/exceptions").json()["items"]
    assert item["order_id"] == order_id and "no active routing policy" in item["reason"]


def test_cancelling_an_order_frees_its_reservations_shipment_and_capacity(
    client: TestClient, dom: Container
):
    given_network(client)
    order_id = place(client)
    shipment_id = last_decision(client, order_id)["shipments"]["NEAR-FULL"]
    client.post(f"/orders/{order_id}/cancel", json={"reason": "customer"})
    inventory = {row["location"]: row for row in client.get("/inventory/SKU-1").json()["locations"]}
    assert inventory["NEAR-FULL"]["reserved"] == 0
    assert dom.fulfilment.find(Shipment, UUID(shipment_id)).status == "cancelled"
    # NEAR-FULL ships one order a day: its slot is free again for the next order
    assert last_decision(client, place(client))["plan"] == {"NEAR-FULL": {"1": 1}}


def test_routing_of_an_unknown_order_is_404(client: TestClient):
    assert client.get("/orders/00000000-0000-0000-0000-000000000009/routing").status_code == 404


def test_click_and_collect_sources_from_the_pickup_store(client: TestClient):
    given_network(client)
    client.put("/locations/SHOP", json=a_location_body(type="store", latitude=51.2, longitude=4.4,
                                                       capabilities=["ships", "pickup"]))  # fmt: skip
    client.post("/stock/counts", json={"counts": [{"location": "SHOP", "sku": "SKU-1", "quantity": 2,
                                                   "counted_at": "2026-11-26T08:00:00Z"}]})  # fmt: skip
    order_id = place(client, pickup_location="SHOP")
    decision = last_decision(client, order_id)
    assert decision["plan"] == {"SHOP": {"1": 1}}
    assert verdicts(decision, "NEAR-FULL")["click_and_collect"]["passed"] is False


@pytest.mark.parametrize(
    ("shop", "message"),
    [
        (None, "no location SHOP is registered"),
        ({"capabilities": ["ships"]}, "SHOP does not offer pickup"),
        ({"capabilities": ["ships", "pickup"], "active": False}, "SHOP is not active"),
    ],
)
def test_click_and_collect_at_a_store_that_cannot_hand_it_over_is_refused(
    client: TestClient, shop: dict | None, message: str
):
    """It was accepted and waited forever for a pickup no policy could ever source."""
    given_network(client)
    if shop is not None:
        client.put("/locations/SHOP", json=a_location_body(type="store", **shop))
    payload = an_order_payload(lines=1) | {"pickup_location": "shop"}
    before = len(client.get("/orders").json()["items"])
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"] == [{"field": "pickup_location", "message": message}]
    assert len(client.get("/orders").json()["items"]) == before


def test_a_retried_click_and_collect_order_answers_what_was_recorded(client: TestClient):
    """The store stopped offering pickup after the order was placed: the retry is still 200."""
    given_network(client)
    client.put(
        "/locations/SHOP", json=a_location_body(type="store", capabilities=["ships", "pickup"])
    )
    payload = an_order_payload(lines=1) | {"pickup_location": "SHOP"}
    assert client.post("/orders", json=payload).status_code == 201
    client.put("/locations/SHOP", json=a_location_body(type="store", capabilities=["ships"]))
    assert client.post("/orders", json=payload).status_code == 200


def test_the_reservations_of_a_sourced_order_cannot_be_freed_or_added_by_hand(client: TestClient):
    """Releasing them freed the stock while the order stayed allocated: an oversell."""
    given_network(client)
    order_id = place(client, quantity=2)
    [(code, lines)] = last_decision(client, order_id)["plan"].items()
    assert lines == {"1": 2}

    def reserved() -> int:
        levels = client.get("/inventory/SKU-1").json()["locations"]
        return next(level["reserved"] for level in levels if level["location"] == code)

    assert reserved() == 2
    where = {"location": code, "sku": "SKU-1"}
    released = client.post("/stock/reservations/release", json=where | {"order_id": order_id})
    assert released.status_code == 409 and released.json()["error"] == "conflict", released.text
    assert "are sourcing's" in released.json()["detail"]
    added = client.post("/stock/reservations",
                        json=where | {"order_id": order_id, "lines": {"9": 1}})  # fmt: skip
    assert added.status_code == 409
    assert reserved() == 2
    by_hand = client.post("/stock/reservations",
                          json=where | {"order_id": "store-sale-7", "lines": {"1": 1}})  # fmt: skip
    assert by_hand.status_code == 200 and by_hand.json()["reserved"] == 3
    freed = client.post("/stock/reservations/release", json=where | {"order_id": "store-sale-7"})
    assert freed.status_code == 200 and freed.json()["reserved"] == 2


def test_a_reservation_at_an_unknown_location_is_not_found_not_short_of_stock(client: TestClient):
    answer = client.post("/stock/reservations", json={"location": "NOPE", "sku": "A",
                                                      "order_id": "x1", "lines": {"1": 1}})  # fmt: skip
    assert answer.status_code == 404 and answer.json()["error"] == "not_found", answer.text
    assert "NOPE" in answer.json()["detail"]


def test_a_kit_ships_from_one_location(client: TestClient):
    rules = {"strategies": [{"name": "kits", "criteria": [{"kind": "priority"}, {"kind": "keep_groups_together"}],
                             "fallback": "exception"}]}  # fmt: skip
    given_network(client, rules)
    client.put(
        "/locations/NEAR-EMPTY", json=a_location_body(latitude=50.9, longitude=4.4, priority=1)
    )
    client.post("/stock/counts", json={"counts": [
        {"location": "NEAR-EMPTY", "sku": "SKU-2", "quantity": 5, "counted_at": "2026-11-26T08:00:01Z"},
        {"location": "FAR", "sku": "SKU-2", "quantity": 5, "counted_at": "2026-11-26T08:00:01Z"},
    ]})  # fmt: skip
    payload = an_order_payload(lines=2)
    payload["lines"][0].update(sku="SKU-1", quantity=1, group="kit-1")
    payload["lines"][1].update(sku="SKU-2", quantity=1, group="kit-1")
    payload["total"] = "24.95"
    order_id = client.post("/orders", json=payload).json()["order_id"]
    plan = last_decision(client, order_id)["plan"]
    assert len(plan) == 1 and set(next(iter(plan.values()))) == {"1", "2"}


def test_urgent_orders_follow_their_own_strategy(client: TestClient):
    rules = {"strategies": [
        {"name": "urgent: nearest", "when": {"min_priority": 5},
         "criteria": [{"kind": "stock", "mode": "line"}, {"kind": "distance"}], "fallback": "exception"},
        {"name": "normal: by priority", "criteria": [{"kind": "stock", "mode": "line"}, {"kind": "priority"}],
         "fallback": "exception"},
    ]}  # fmt: skip
    given_network(client, rules)
    client.put("/locations/FAR", json=a_location_body(latitude=41.39, longitude=2.17, country="ES",
                                                      time_zone="Europe/Madrid", priority=1))  # fmt: skip
    normal = place(client)
    assert last_decision(client, normal)["strategy"] == "normal: by priority"
    assert last_decision(client, normal)["plan"] == {"FAR": {"1": 1}}
    payload = an_order_payload(lines=1, priority=7)
    payload["lines"][0].update(sku="SKU-1", quantity=1)
    payload["total"] = "14.95"
    payload["shipping_address"].update(BRUSSELS)
    urgent = client.post("/orders", json=payload).json()["order_id"]
    assert last_decision(client, urgent)["strategy"] == "urgent: nearest"
