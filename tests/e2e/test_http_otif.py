"""On Time In Full over HTTP, on both stores: a scripted week whose figures were worked out
by hand, and the clock's at-risk and late warnings in the exception queue.

The clock is the app's: each step sets the time the API reads (`get_now`), so the orders,
dispatches and deliveries happen on the days the script says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
from api.clock import tick
from api.http.dependencies import get_now
from tests.builders import an_order_payload
from tests.e2e.test_http_channels import MARKET
from tests.e2e.test_http_exception_actions import RULES, activate
from tests.e2e.test_http_shipments import shipment_of, through_the_warehouse
from tests.e2e.test_http_tracking import SECRET, send
from tests.stock_builders import a_location_body

Clock = Callable[[str], datetime]


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    """Set the time the API reads: clock("2026-11-16T08:00:00Z")."""
    moment = [datetime.now(UTC)]

    async def now() -> datetime:
        return moment[0]

    def set_to(text: str) -> datetime:
        moment[0] = datetime.fromisoformat(text)
        return moment[0]

    client.app.dependency_overrides[get_now] = now  # type: ignore[attr-defined]
    yield set_to
    client.app.dependency_overrides.pop(get_now)  # type: ignore[attr-defined]


def network(client: TestClient, clock: Clock) -> None:
    """FIRST in Brussels (Monday to Friday until 17:00) with 50 units; the marketplace
    channel: one handling day, two transit days, at risk 6 h before the ship-by."""
    clock("2026-11-16T07:00:00Z")
    assert (
        client.put(
            "/locations/FIRST", json=a_location_body(channels=["marketplace", "webshop"])
        ).status_code
        == 201
    )
    counts = [{"location": "FIRST", "sku": "SKU-1", "quantity": 50,
               "counted_at": "2026-11-16T06:00:00Z"}]  # fmt: skip
    assert client.post("/stock/counts", json={"counts": counts}).status_code == 200
    activate(client, RULES)
    assert client.put("/channels/marketplace", json=MARKET).status_code == 201


def order(client: TestClient, clock: Clock, at: str, channel: str = "marketplace") -> str:
    clock(at)
    payload = an_order_payload(channel=channel, placed_at=at)
    payload["lines"][0]["sku"] = "SKU-1"
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["order_id"])


def ship(client: TestClient, clock: Clock, order_id: str, at: str, number: str) -> None:
    clock(at)
    through_the_warehouse(client, shipment_of(client, order_id), {"1": 1}, number)


def delivered(number: str, at: str) -> dict[str, Any]:
    return {"tracking_number": number, "status": "delivered", "at": at}


def test_a_scripted_week_gives_the_figures_worked_out_by_hand(client: TestClient, clock: Clock):
    network(client, clock)
    # Monday 16 November 2026, all before the 17:00 cut-off in Brussels: every order has
    # day 0 on Monday, ship-by Tuesday 17 at 17:00 (16:00Z), deliver-by Thursday 19 at the
    # end of the day (22:59:59Z). The figures are counted on Monday 23.
    a = order(client, clock, "2026-11-16T09:00:00Z")  # on time, delivered on time
    b = order(client, clock, "2026-11-16T10:00:00Z")  # shipped late, delivered on time
    c = order(client, clock, "2026-11-16T11:00:00Z")  # on time, delivered late
    d = order(client, clock, "2026-11-16T12:00:00Z")  # cancelled before dispatch
    e = order(client, clock, "2026-11-16T13:00:00Z")  # on time, never scanned nor delivered
    f = order(client, clock, "2026-11-16T14:00:00Z")  # never dispatched
    g = order(client, clock, "2026-11-16T14:30:00Z", channel="webshop")  # all well
    detail = client.get(f"/orders/{a}").json()
    assert detail["promise"]["ship_by"] == "2026-11-17T16:00:00+00:00"
    assert detail["promise"]["deliver_by"] == "2026-11-19T22:59:59+00:00"
    clock("2026-11-16T15:00:00Z")
    assert client.post(f"/orders/{d}/cancel", json={"reason": "customer"}).status_code == 200
    for order_id, number in ((a, "TN-A1"), (c, "TN-C1"), (e, "TN-E1"), (g, "TN-G1")):
        ship(client, clock, order_id, "2026-11-17T10:00:00Z", number)
    ship(client, clock, b, "2026-11-18T09:00:00Z", "TN-B1")  # the day after its ship-by
    clock("2026-11-23T12:00:00Z")
    client.put("/carriers/bpost/tracking-secret", json={"secret": SECRET})
    news = [delivered("TN-A1", "2026-11-18T12:00:00Z"), delivered("TN-B1", "2026-11-19T15:00:00Z"),
            delivered("TN-C1", "2026-11-20T10:00:00Z"), delivered("TN-G1", "2026-11-18T12:00:00Z")]  # fmt: skip
    answer = send(client, news)
    assert [o["outcome"] for o in answer.json()["outcomes"]] == ["applied"] * 4, answer.text
    assert f and client.get(f"/orders/{a}").json()["status"] == "delivered"

    figures = client.get("/otif", params={"from": "2026-11-17", "to": "2026-11-17"}).json()
    market, shop = figures["items"]
    assert (market["channel"], market["day"], shop["channel"]) == (
        "marketplace",
        "2026-11-17",
        "webshop",
    )
    # Six orders, one cancelled before dispatch: 1/6. Of the five counted, all are due to
    # ship (four shipped, F's ship-by passed): A, C, E on time = 3/5, late 2/5. All are due
    # for delivery (deliver-by passed): A, B on time = 2/5; in full: A, B, C, E shipped
    # every unit = 4/5; OTIF: A, B = 2/5. Four shipments, three scanned by the carrier.
    assert {key: market[key] for key in FIGURES} == {
        "shipped_on_time": 60.0, "delivered_on_time": 40.0, "in_full": 80.0, "otif": 40.0,
        "late_shipment_rate": 40.0, "valid_tracking_rate": 75.0, "cancellation_rate": 16.67,
    }  # fmt: skip
    assert market["counts"] == {
        "orders": 6, "cancelled_before_dispatch": 1, "ship_due": 5, "shipped_on_time": 3,
        "delivery_due": 5, "delivered_on_time": 2, "in_full": 4, "otif": 2,
        "shipments_dispatched": 4, "shipments_tracked": 3,
    }  # fmt: skip
    assert market["targets"]["late_shipment_rate"] == {
        "target": 3.0,
        "direction": "max",
        "met": False,
    }
    assert {key: shop[key] for key in FIGURES} == {
        "shipped_on_time": 100.0, "delivered_on_time": 100.0, "in_full": 100.0, "otif": 100.0,
        "late_shipment_rate": 0.0, "valid_tracking_rate": 100.0, "cancellation_rate": 0.0,
    }  # fmt: skip
    assert shop["targets"]["otif"]["met"] is True
    only = client.get(
        "/otif", params={"from": "2026-11-17", "to": "2026-11-17", "channel": "webshop"}
    )
    assert [row["channel"] for row in only.json()["items"]] == ["webshop"]


FIGURES = ("shipped_on_time", "delivered_on_time", "in_full", "otif", "late_shipment_rate",
           "valid_tracking_rate", "cancellation_rate")  # fmt: skip


def queue_of(client: TestClient, order_id: str) -> list[str]:
    items = client.get("/exceptions").json()["items"]
    return sorted(i["kind"] for i in items if i.get("order_id") == order_id)


def test_the_clock_warns_before_and_after_the_ship_by(
    client: TestClient, dom: Container, clock: Clock
):
    network(client, clock)
    order_id = order(client, clock, "2026-11-16T09:00:00Z")  # ship-by 2026-11-17T16:00Z
    # Nothing is due yet: no rate says 0 % or 100 % of nothing.
    [row] = client.get("/otif", params={"from": "2026-11-17", "to": "2026-11-17"}).json()["items"]
    assert row["counts"]["orders"] == 1 and row["cancellation_rate"] == 0.0
    assert row["late_shipment_rate"] is None and row["otif"] is None
    assert tick(dom, datetime.fromisoformat("2026-11-17T09:59:00Z")).recorded == 0
    assert queue_of(client, order_id) == []
    assert tick(dom, datetime.fromisoformat("2026-11-17T10:00:00Z")).recorded == 1  # 6 h before
    assert tick(dom, datetime.fromisoformat("2026-11-17T11:00:00Z")).recorded == 0  # once
    [entry] = [
        i for i in client.get("/exceptions").json()["items"] if i.get("order_id") == order_id
    ]
    assert entry["kind"] == "at_risk" and entry["lines"] == {"1": 1}
    assert [a["name"] for a in entry["actions"]] == ["acknowledge"]
    assert tick(dom, datetime.fromisoformat("2026-11-17T16:00:01Z")).recorded == 1
    assert queue_of(client, order_id) == ["late"]  # late takes the at-risk entry's place
    clock("2026-11-17T17:00:00Z")
    href = f"/exceptions/orders/{order_id}/warnings/late/acknowledge"
    assert client.post(href, json={"note": "carrier told"}).status_code == 200
    assert queue_of(client, order_id) == []
    assert client.post(f"/exceptions/orders/{order_id}/warnings/at_risk/acknowledge",
                       json={"note": "x"}).status_code == 409  # fmt: skip


def test_dispatching_in_full_clears_the_warnings(client: TestClient, dom: Container, clock: Clock):
    network(client, clock)
    order_id = order(client, clock, "2026-11-16T09:00:00Z")
    tick(dom, datetime.fromisoformat("2026-11-17T12:00:00Z"))
    assert queue_of(client, order_id) == ["at_risk"]
    ship(client, clock, order_id, "2026-11-17T13:00:00Z", "TN-Z1")
    assert queue_of(client, order_id) == []
    assert tick(dom, datetime.fromisoformat("2026-11-18T12:00:00Z")).looked_at == 0


def test_a_delivered_order_is_completed_when_its_return_window_has_passed(
    client: TestClient, dom: Container, clock: Clock
):
    network(client, clock)
    client.put("/channels/marketplace", json=MARKET | {"return_days": 14})
    order_id = order(client, clock, "2026-10-01T09:00:00Z")
    ship(client, clock, order_id, "2026-10-01T12:00:00Z", "TN-R1")
    clock("2026-10-02T12:00:00Z")
    client.put("/carriers/bpost/tracking-secret", json={"secret": SECRET})
    assert send(client, [delivered("TN-R1", "2026-10-02T10:00:00Z")]).status_code == 200
    assert client.get(f"/orders/{order_id}").json()["status"] == "delivered"
    assert tick(dom, datetime.fromisoformat("2026-10-16T09:59:59Z")).recorded == 0
    assert tick(dom, datetime.fromisoformat("2026-10-16T10:00:00Z")).recorded == 1
    detail = client.get(f"/orders/{order_id}").json()
    assert detail["status"] == "completed" and detail["completed_at"]
    assert tick(dom, datetime.fromisoformat("2026-10-17T10:00:00Z")).looked_at == 0
    listed = client.get("/orders", params={"status": "completed"}).json()["items"]
    assert [row["order_id"] for row in listed] == [order_id]


def test_a_bad_range_is_refused_naming_the_parameter(client: TestClient):
    backwards = client.get("/otif", params={"from": "2026-11-20", "to": "2026-11-17"})
    assert backwards.status_code == 422 and backwards.json()["fields"][0]["field"] == "from"
    too_long = client.get("/otif", params={"from": "2025-01-01", "to": "2026-11-17"})
    assert too_long.status_code == 422 and too_long.json()["fields"][0]["field"] == "to"
    assert client.get("/otif", params={"colour": "red"}).status_code == 422
