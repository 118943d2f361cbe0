"""The exception queue can be worked: retry, allocate by hand, cancel the unfillable lines,
resolve with a note; and orders waiting for a person are sourced when a policy is activated.
Each action is a command: refused means nothing recorded, a retry changes nothing twice."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import an_order_payload
from tests.e2e.test_http_sourcing import last_decision, place
from tests.stock_builders import a_location_body

COUNTED = "2026-11-26T08:00:00Z"
RULES = {
    "strategies": [
        {
            "name": "nearest that can ship",
            "criteria": [
                {"kind": "channel"},
                {"kind": "stock", "mode": "line"},
                {"kind": "distance"},
            ],
            "fallback": "backorder",
        }
    ]
}


def given(client: TestClient, policy: bool = True, **stock: int) -> None:
    """A location per code given, each with that many units of SKU-1; MARKET serves only
    the marketplace, so the webshop's rules never choose it."""
    for code, quantity in stock.items():
        channels = ["marketplace"] if code == "MARKET" else ["webshop"]
        client.put(f"/locations/{code}", json=a_location_body(channels=channels))
        client.post("/stock/counts", json={"counts": [{"location": code, "sku": "SKU-1",
                                                       "quantity": quantity, "counted_at": COUNTED}]})  # fmt: skip
    if policy:
        activate(client, RULES)


def activate(client: TestClient, rules: dict[str, Any], name: str = "default") -> None:
    version = client.post(f"/routing-policies/{name}/versions", json={"rules": rules}).json()
    answer = client.post(f"/routing-policies/{name}/versions/{version['version']}/activate")
    assert answer.status_code == 200, answer.text


def queue(client: TestClient) -> list[tuple[str, str]]:
    return [(i["order_id"], i["kind"]) for i in client.get("/exceptions").json()["items"]]


def decisions(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    return client.get(f"/orders/{order_id}/routing").json()["decisions"]


def reserved(client: TestClient, code: str) -> int:
    rows = client.get("/inventory/SKU-1").json()["locations"]
    return sum(row["reserved"] for row in rows if row["location"] == code)


def test_activating_a_policy_sources_the_orders_that_waited_for_one(client: TestClient):
    given(client, policy=False, FAR=5)
    first, second = place(client), place(client)
    assert queue(client) == [(first, "needs_decision"), (second, "needs_decision")]
    activate(client, RULES, name="other")  # sourcing follows "default" only
    assert len(decisions(client, first)) == 1
    activate(client, RULES)
    assert queue(client) == []
    for order_id in (first, second):
        assert last_decision(client, order_id)["plan"] == {"FAR": {"1": 1}}
        assert last_decision(client, order_id)["attempt"] == 2
    assert reserved(client, "FAR") == 2


def test_an_order_still_undecided_after_activation_keeps_waiting(client: TestClient):
    given(client, policy=False, MARKET=5)  # nobody serves the webshop
    order_id = place(client)
    no_backorder = {"strategies": [RULES["strategies"][0] | {"fallback": "exception"}]}
    activate(client, no_backorder)
    assert queue(client) == [(order_id, "needs_decision")]
    assert last_decision(client, order_id)["strategy"] == "nearest that can ship"
    client.put("/locations/SHOP", json=a_location_body())  # a second version, activated
    client.post("/stock/counts", json={"counts": [{"location": "SHOP", "sku": "SKU-1",
                                                   "quantity": 3, "counted_at": COUNTED}]})  # fmt: skip
    activate(client, RULES)
    assert last_decision(client, order_id)["plan"] == {"SHOP": {"1": 1}}


def test_a_cancelled_order_is_not_sourced_when_a_policy_is_activated(client: TestClient):
    given(client, policy=False, FAR=5)
    order_id = place(client)
    client.post(f"/orders/{order_id}/cancel", json={"reason": "customer"})
    activate(client, RULES)
    assert len(decisions(client, order_id)) == 1 and reserved(client, "FAR") == 0


def test_retry_sources_a_waiting_order_again_now(client: TestClient):
    given(client, FAR=5)
    client.patch("/locations/FAR", json={"active": False})
    order_id = place(client)
    [item] = client.get("/exceptions").json()["items"]
    assert item["kind"] == "backordered"
    actions = {action["name"]: action for action in item["actions"]}
    assert set(actions) == {"retry", "allocate", "cancel_lines", "resolve"}
    assert actions["retry"]["href"] == f"/exceptions/orders/{order_id}/retry"
    client.patch("/locations/FAR", json={"active": True})  # no event sources it by itself
    assert queue(client) == [(order_id, "backordered")]
    retried = client.post(actions["retry"]["href"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["sourced_again"] is True and retried.json()["waiting"] is None
    assert retried.json()["decision"]["plan"] == {"FAR": {"1": 1}}
    again = client.post(actions["retry"]["href"]).json()
    assert again["sourced_again"] is False and len(decisions(client, order_id)) == 2
    unknown = client.post("/exceptions/orders/00000000-0000-0000-0000-000000000002/retry")
    assert unknown.status_code == 404


def test_allocating_by_hand_ships_from_the_named_location(client: TestClient):
    given(client, FAR=5, MARKET=30)
    order_id = place(client, quantity=20)
    assert queue(client) == [(order_id, "backordered")]
    body = {"location": "market", "note": "agreed with the marketplace team"}
    answer = client.post(f"/exceptions/orders/{order_id}/allocate", json=body)
    assert answer.status_code == 200, answer.text
    decision = answer.json()["decision"]
    assert decision["strategy"] == "by_hand" and decision["plan"] == {"MARKET": {"1": 20}}
    assert decision["candidates"][0]["verdicts"][0]["value"] == body["note"]
    assert "MARKET" in decision["shipments"] and answer.json()["waiting"] is None
    assert queue(client) == [] and reserved(client, "MARKET") == 20
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "allocated" and order["waiting"] is None
    retried = client.post(f"/exceptions/orders/{order_id}/allocate", json=body)
    assert retried.status_code == 200 and retried.json()["allocated"] is False
    assert reserved(client, "MARKET") == 20 and len(decisions(client, order_id)) == 2
    other = client.post(f"/exceptions/orders/{order_id}/allocate", json=body | {"note": "again"})
    assert other.status_code == 409 and "waits for nothing" in other.json()["detail"]


def test_allocating_by_hand_is_checked_and_a_refusal_records_nothing(client: TestClient):
    given(client, FAR=5, MARKET=30)
    client.put("/locations/IDLE", json=a_location_body(active=False))
    order_id = place(client, quantity=20)
    url, note = f"/exceptions/orders/{order_id}/allocate", {"note": "try"}
    short = client.post(url, json=note | {"location": "FAR"})
    assert short.status_code == 409 and short.json()["error"] == "insufficient_stock"
    unknown = client.post(url, json=note | {"location": "NOWHERE"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    inactive = client.post(url, json=note | {"location": "IDLE"})
    assert inactive.status_code == 409 and "not active" in inactive.json()["detail"]
    line = client.post(url, json=note | {"location": "MARKET", "line_ids": ["9"]})
    assert line.status_code == 422 and line.json()["fields"][0]["field"] == "line_ids.0"
    empty_note = client.post(url, json={"location": "MARKET", "note": ""})
    assert empty_note.status_code == 422
    assert len(decisions(client, order_id)) == 1 and queue(client) == [(order_id, "backordered")]
    assert reserved(client, "FAR") == 0 and reserved(client, "MARKET") == 0


def test_cancelling_the_unfillable_lines_keeps_the_placed_ones(client: TestClient):
    given(client, FAR=5)
    payload_lines = [("1", "SKU-1"), ("2", "SKU-NOWHERE")]
    order_id = place_lines(client, payload_lines)
    assert last_decision(client, order_id)["plan"] == {"FAR": {"1": 1}}
    assert queue(client) == [(order_id, "backordered")]
    url = f"/exceptions/orders/{order_id}/cancel-lines"
    answer = client.post(url, json={"note": "discontinued"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["cancelled_lines"] == ["2"]
    order = client.get(f"/orders/{order_id}").json()
    states = {line["line_id"]: line["state"] for line in order["lines"]}
    assert states == {"1": "allocated", "2": "cancelled"}
    assert order["lines"][1]["cancel_reason"] == "unfillable: discontinued"
    assert queue(client) == [] and reserved(client, "FAR") == 1
    again = client.post(url, json={"note": "discontinued"})
    assert again.status_code == 200 and again.json()["cancelled_lines"] == []
    unknown = client.post("/exceptions/orders/00000000-0000-0000-0000-000000000003/cancel-lines",
                          json={"note": "x"})  # fmt: skip
    assert unknown.status_code == 404


def test_resolving_takes_the_order_off_the_queue_until_its_next_decision(client: TestClient):
    given(client, FAR=5)
    order_id = place(client, quantity=20)
    url = f"/exceptions/orders/{order_id}/resolve"
    answer = client.post(url, json={"note": "customer waits for the new batch"})
    assert answer.status_code == 200, answer.text
    assert queue(client) == []
    waiting = client.get(f"/orders/{order_id}").json()["waiting"]
    assert waiting["kind"] == "backordered"
    assert waiting["resolved"]["note"] == "customer waits for the new batch"
    again = client.post(url, json={"note": "customer waits for the new batch"})
    assert again.status_code == 200 and again.json()["waiting"] == waiting
    client.post("/stock/movements", json={"location": "FAR", "sku": "SKU-1", "movement": "received",
                                          "quantity": 3, "reference": "PO-1"})  # fmt: skip
    assert queue(client) == [(order_id, "backordered")]  # decided again, still short: news
    assert "resolved" not in client.get(f"/orders/{order_id}").json()["waiting"]
    client.post(url, json={"note": "customer waits for the new batch"})  # the same note, anew
    assert queue(client) == []
    client.post("/stock/movements", json={"location": "FAR", "sku": "SKU-1", "movement": "received",
                                          "quantity": 20, "reference": "PO-2"})  # fmt: skip
    done = client.post(url, json={"note": "late"})
    assert done.status_code == 409 and "waits for nothing" in done.json()["detail"]


def place_lines(client: TestClient, lines: list[tuple[str, str]]) -> str:
    payload = an_order_payload(lines=len(lines))
    for line, (line_id, sku) in zip(payload["lines"], lines, strict=True):
        line.update(line_id=line_id, sku=sku, quantity=1)
    payload["total"] = f"{10 * len(lines) + 4.95:.2f}"
    payload["shipping_address"].update({"latitude": 50.85, "longitude": 4.35})
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


PARTIAL = {
    "strategies": [
        {
            "name": "what there is",
            "criteria": [{"kind": "stock", "mode": "partial"}, {"kind": "distance"}],
            "fallback": "backorder",
        }
    ]
}


def test_a_line_filled_in_parts_at_one_location_holds_each_part_apart(client: TestClient):
    """A later decision adding units of a line where part of it is already reserved used to
    be refused as a conflicting retry, parking every later stock change of that item."""
    given(client, policy=False, FAR=1)
    activate(client, PARTIAL)
    order_id = place(client, quantity=3)
    client.post("/stock/movements", json={"location": "FAR", "sku": "SKU-1", "movement": "received",
                                          "quantity": 5, "reference": "PO-1"})  # fmt: skip
    first, second = decisions(client, order_id)
    assert first["plan"] == {"FAR": {"1": 1}} and second["plan"] == {"FAR": {"1": 2}}
    assert reserved(client, "FAR") == 3 and client.get("/exceptions").json()["items"] == []
    shipment = second["shipments"]["FAR"]
    client.post(f"/shipments/{shipment}/reject", json={"reason": "two are damaged"})
    assert reserved(client, "FAR") == 1  # the first shipment's unit is still held
