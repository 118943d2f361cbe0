"""A shipment through the warehouse, on both stores: accept, pick (short picks sourced
again), pack, dispatch (stock consumed once, however often it is retried); the order
rolls its lines up; steps out of order or with bad bodies change nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap import Container
from tests.e2e.test_http_exception_actions import activate, decisions, given
from tests.e2e.test_http_sourcing import place

RULES = {
    "strategies": [
        {
            "name": "by priority",
            "criteria": [{"kind": "stock", "mode": "line"}, {"kind": "priority"}],
            "fallback": "backorder",
        }
    ]
}
PARCEL = {"weight_grams": 1200, "length_mm": 300, "width_mm": 200, "height_mm": 100}
HANDED = {"carrier": "bpost", "service": "standard", "tracking_number": "BP-123456789"}


def given_two_locations(client: TestClient, first: int = 5, second: int = 5) -> None:
    given(client, policy=False, FIRST=first, SECOND=second)
    client.patch("/locations/SECOND", json={"priority": 2})
    client.patch("/locations/FIRST", json={"priority": 1})
    activate(client, RULES)


def shipment_of(client: TestClient, order_id: str, location: str = "FIRST") -> str:
    return str(decisions(client, order_id)[-1]["shipments"][location])


def levels(client: TestClient, location: str) -> tuple[int, int]:
    rows = client.get("/inventory/SKU-1").json()["locations"]
    [row] = [row for row in rows if row["location"] == location]
    return row["on_hand"], row["reserved"]


def step(client: TestClient, shipment: str, name: str, body: Any = None) -> Any:
    return client.post(f"/shipments/{shipment}/{name}", json=body)


def through_the_warehouse(
    client: TestClient, shipment: str, picked: dict[str, int], tracking_number: str | None = None
) -> None:
    handed = HANDED | ({"tracking_number": tracking_number} if tracking_number else {})
    for name, body in (("accept", None), ("pick", {"lines": picked}),
                       ("pack", {"parcels": [PARCEL]}), ("dispatch", handed)):  # fmt: skip
        answer = step(client, shipment, name, body)
        assert answer.status_code == 200, answer.text


def test_a_shipment_goes_through_the_warehouse_and_the_order_is_shipped(client: TestClient):
    given_two_locations(client)
    order_id = place(client, quantity=2)
    shipment = shipment_of(client, order_id)
    assert levels(client, "FIRST") == (5, 2)
    [listed] = client.get("/locations/first/shipments", params={"status": "requested"}).json()[
        "items"
    ]
    assert listed["shipment_id"] == shipment and listed["lines"] == {"1": 2}
    through_the_warehouse(client, shipment, {"1": 2})
    assert levels(client, "FIRST") == (3, 0)
    read = client.get(f"/shipments/{shipment}").json()
    assert read["status"] == "dispatched" and read["tracking_number"] == "BP-123456789"
    assert [h["status"] for h in read["history"]] == [
        "requested", "accepted", "picked", "packed", "dispatched"]  # fmt: skip
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "shipped" and order["lines"][0]["shipped"] == 2
    [shipped] = order["shipments"]
    assert shipped | {"dispatched_at": None} == {
        "shipment_id": shipment, "location": "FIRST", "lines": {"1": 2}, "carrier": "bpost",
        "service": "standard", "tracking_number": "BP-123456789", "dispatched_at": None,
        "status": "dispatched", "tracking_link": None, "delivered_at": None}  # fmt: skip
    assert client.get("/locations/FIRST/shipments", params={"status": "requested"}).json() == {
        "items": []}  # fmt: skip
    dispatched = client.get("/locations/FIRST/shipments", params={"status": "dispatched"})
    assert [item["shipment_id"] for item in dispatched.json()["items"]] == [shipment]


def test_a_repeated_step_changes_nothing_and_dispatch_consumes_stock_once(client: TestClient):
    given_two_locations(client)
    shipment = shipment_of(client, place(client, quantity=2))
    through_the_warehouse(client, shipment, {"1": 2})
    for name, body in (("accept", None), ("pick", {"lines": {"1": 2}}),
                       ("pack", {"parcels": [PARCEL]}), ("dispatch", HANDED)):  # fmt: skip
        again = step(client, shipment, name, body)
        assert again.status_code == 200 and again.json()["changed"] is False, name
    assert levels(client, "FIRST") == (3, 0)


def test_dispatch_at_the_same_moment_from_many_threads_consumes_once(
    client: TestClient, dom: Container
):
    given_two_locations(client)
    shipment = shipment_of(client, place(client, quantity=2))
    for name, body in (("accept", None), ("pick", {"lines": {"1": 2}}),
                       ("pack", {"parcels": [PARCEL]})):  # fmt: skip
        step(client, shipment, name, body)

    def dispatch(_: int) -> bool:
        return dom.fulfilment.dispatch_shipment(
            UUID(shipment), "bpost", "standard", "BP-123456789", datetime.now(UTC)
        ).changed

    with ThreadPoolExecutor(8) as pool:
        changed = list(pool.map(dispatch, range(16)))
    assert changed.count(True) == 1
    dom.runtime.catch_up_all()
    assert levels(client, "FIRST") == (3, 0)


def test_steps_out_of_order_or_with_bad_bodies_change_nothing(client: TestClient):
    given_two_locations(client)
    shipment = shipment_of(client, place(client, quantity=2))
    early = step(client, shipment, "dispatch", HANDED)
    assert early.status_code == 409 and early.json()["error"] == "invalid_transition"
    assert step(client, shipment, "pack", {"parcels": [PARCEL]}).status_code == 409
    step(client, shipment, "accept")
    too_many = step(client, shipment, "pick", {"lines": {"1": 3}})
    assert too_many.status_code == 422 and too_many.json()["fields"][0]["field"] == "lines.1"
    unknown = step(client, shipment, "pick", {"lines": {"1": 2, "9": 1}})
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "lines.9"
    negative = step(client, shipment, "pick", {"lines": {"1": -1}})
    assert negative.status_code == 422
    bad_parcel = step(client, shipment, "pack", {"parcels": [PARCEL | {"weight_grams": 0}]})
    assert bad_parcel.status_code == 422
    bad_carrier = step(client, shipment, "dispatch", HANDED | {"carrier": "Bpost\u0000"})
    assert bad_carrier.status_code == 422
    read = client.get(f"/shipments/{shipment}").json()
    assert read["status"] == "accepted" and read["picked"] == {}
    assert levels(client, "FIRST") == (5, 2)
    through_the_warehouse(client, shipment, {"1": 2})
    other = step(client, shipment, "dispatch", HANDED | {"tracking_number": "OTHER-1"})
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    missing = client.post("/shipments/00000000-0000-0000-0000-000000000001/accept")
    assert missing.status_code == 404
    assert client.get("/locations/NOWHERE/shipments").status_code == 404


def test_a_short_pick_writes_the_missing_units_off_and_sources_them_again(client: TestClient):
    given_two_locations(client)
    order_id = place(client, quantity=2)
    first = shipment_of(client, order_id)
    step(client, first, "accept")
    short = step(client, first, "pick", {"lines": {"1": 1}})
    assert short.status_code == 200, short.text
    # one unit written off; FIRST still has stock, so it is asked again for the missing one
    latest = decisions(client, order_id)[-1]
    assert latest["plan"] == {"FIRST": {"1": 1}} and latest["attempt"] == 2
    assert levels(client, "FIRST") == (4, 2)
    second = shipment_of(client, order_id)
    through_the_warehouse(client, second, {"1": 1})
    partly = client.get(f"/orders/{order_id}").json()
    assert partly["status"] == "partially_shipped" and partly["lines"][0]["shipped"] == 1
    step(client, first, "pack", {"parcels": [PARCEL]})
    step(client, first, "dispatch", HANDED | {"tracking_number": "BP-2"})
    done = client.get(f"/orders/{order_id}").json()
    assert done["status"] == "shipped" and len(done["shipments"]) == 2
    assert levels(client, "FIRST") == (2, 0)


def test_nothing_found_at_pick_ends_the_shipment_and_sources_the_line_elsewhere(
    client: TestClient,
):
    given_two_locations(client, first=2, second=5)
    order_id = place(client, quantity=2)
    first = shipment_of(client, order_id)
    step(client, first, "accept")
    step(client, first, "pick", {"lines": {"1": 0}})
    assert client.get(f"/shipments/{first}").json()["status"] == "cancelled"
    assert levels(client, "FIRST") == (0, 0)
    assert decisions(client, order_id)[-1]["plan"] == {"SECOND": {"1": 2}}
    order = client.get(f"/orders/{order_id}").json()
    assert order["lines"][0]["allocations"] == {"SECOND": 2}


def test_an_accepted_shipment_may_be_rejected_and_a_packed_one_loses_cancelled_lines(
    client: TestClient,
):
    given_two_locations(client)
    order_id = place(client, quantity=2)
    first = shipment_of(client, order_id)
    step(client, first, "accept")
    assert step(client, first, "reject", {"reason": "no staff"}).json()["changed"] is True
    second = shipment_of(client, order_id, "SECOND")
    for name, body in (("accept", None), ("pick", {"lines": {"1": 2}}),
                       ("pack", {"parcels": [PARCEL]})):  # fmt: skip
        step(client, second, name, body)
    client.post(f"/orders/{order_id}/cancel", json={"reason": "customer"})
    assert client.get(f"/shipments/{second}").json()["status"] == "cancelled"
    assert levels(client, "SECOND") == (5, 0)
    late = step(client, second, "dispatch", HANDED)
    assert late.status_code == 409 and levels(client, "SECOND") == (5, 0)


def test_dispatches_of_one_sku_take_turns_instead_of_retrying(client: TestClient, dom: Container):
    """Eight shipments of SKU-1 at FIRST dispatched at once: the keyed locks let them take
    turns on the stock item, so none is tried again after a version conflict (without
    them, each would race the others and most would retry: the bench's dispatch rate fell
    fivefold)."""
    given_two_locations(client, first=20)
    shipments = [shipment_of(client, place(client, quantity=1)) for _ in range(8)]
    for shipment in shipments:
        for name, body in (("accept", None), ("pick", {"lines": {"1": 1}}),
                           ("pack", {"parcels": [PARCEL]})):  # fmt: skip
            assert step(client, shipment, name, body).status_code == 200
    before = dom.fulfilment.conflicts
    start = threading.Barrier(8)

    def dispatch(n: int) -> bool:
        start.wait()
        return dom.fulfilment.dispatch_shipment(
            UUID(shipments[n]), "bpost", "standard", f"BP-{n:09d}", datetime.now(UTC)
        ).changed

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(dispatch, range(8)))
    assert dom.fulfilment.conflicts == before
    dom.runtime.catch_up_all()
    assert levels(client, "FIRST") == (12, 0)
