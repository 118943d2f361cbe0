"""The acceptance points of intake and the order-status view, through HTTP, on both stores."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
from tests.builders import an_order_payload


def stored_events(dom: Container) -> int:
    return dom.orders.recorder.max_notification_id() or 0


def test_post_creates_and_the_read_model_shows_it_at_once(client: TestClient):
    payload = an_order_payload(lines=2, channel="marketplace")
    created = client.post("/orders", json=payload)
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["location"] == f"/orders/{order['order_id']}"
    assert order["status"] == "released" and order["total"] == payload["total"]
    detail = client.get(f"/orders/{order['order_id']}")
    assert detail.status_code == 200
    assert detail.json()["channel_order_id"] == payload["channel_order_id"]
    listed = client.get("/orders", params={"channel": "marketplace"}).json()["items"]
    assert [item["order_id"] for item in listed] == [order["order_id"]]


def test_the_identical_post_answers_200_with_the_same_body_and_records_nothing(
    client: TestClient, dom: Container
):
    payload = an_order_payload()
    first = client.post("/orders", json=payload)
    before = stored_events(dom)
    again = client.post("/orders", json=payload)
    assert again.status_code == 200
    # The order as it is now: fulfilment has dated it since (Order.Dated, version 3).
    assert again.json() | {"version": 2} == first.json()
    assert stored_events(dom) == before


def test_the_same_channel_order_id_with_other_content_is_409(client: TestClient, dom: Container):
    payload = an_order_payload()
    client.post("/orders", json=payload)
    before = stored_events(dom)
    other = an_order_payload(lines=2, channel_order_id=payload["channel_order_id"])
    answer = client.post("/orders", json=other)
    assert answer.status_code == 409
    assert answer.json()["error"] == "conflict"
    assert stored_events(dom) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["lines"][0].update(quantity=0), "lines.0.quantity"),
        (lambda p: p.update(total="999.99"), "total"),
        (lambda p: p.update(colour="red"), "colour"),
        (lambda p: p["customer"].update(shoe_size=42), "customer.shoe_size"),
        (lambda p: p["shipping_address"].update(country="XX"), "shipping_address.country"),
        (lambda p: p["lines"][0].update(unit_price=9.99), "lines.0.unit_price"),
        (lambda p: p.update(placed_at="2026-11-26T10:00:00"), "placed_at"),
        (lambda p: p.update(currency="EURO"), "currency"),
        (lambda p: p.pop("lines"), "lines"),
    ],
)
def test_bad_orders_get_422_naming_the_field_and_store_nothing(
    client: TestClient, dom: Container, change, field
):
    payload = an_order_payload()
    change(payload)
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "validation_error"
    assert field in [problem["field"] for problem in body["fields"]]
    assert stored_events(dom) == 0
    assert client.get("/orders").json()["items"] == []


def test_malformed_json_is_400(client: TestClient):
    answer = client.post(
        "/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "malformed_json"


def test_cancel_twice_changes_nothing_the_second_time(client: TestClient, dom: Container):
    order_id = client.post("/orders", json=an_order_payload(lines=2)).json()["order_id"]
    partly = client.post(f"/orders/{order_id}/cancel", json={"reason": "oos", "line_ids": ["2"]})
    assert partly.status_code == 200
    assert [line["state"] for line in partly.json()["lines"]] == ["open", "cancelled"]
    whole = client.post(f"/orders/{order_id}/cancel", json={"reason": "customer"})
    assert whole.json()["status"] == "cancelled"
    before = stored_events(dom)
    again = client.post(f"/orders/{order_id}/cancel", json={"reason": "customer"})
    assert again.status_code == 200 and again.json() == whole.json()
    assert stored_events(dom) == before
    assert client.get(f"/orders/{order_id}").json()["status"] == "cancelled"


def test_cancel_errors(client: TestClient):
    order_id = client.post("/orders", json=an_order_payload()).json()["order_id"]
    unknown_line = client.post(
        f"/orders/{order_id}/cancel", json={"reason": "x", "line_ids": ["9"]}
    )
    assert (
        unknown_line.status_code == 422 and unknown_line.json()["fields"][0]["field"] == "line_ids"
    )
    no_reason = client.post(f"/orders/{order_id}/cancel", json={})
    assert no_reason.status_code == 422 and no_reason.json()["fields"][0]["field"] == "reason"
    missing = client.post(
        "/orders/00000000-0000-0000-0000-000000000001/cancel", json={"reason": "x"}
    )
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_hold_and_release(client: TestClient):
    order_id = client.post("/orders", json=an_order_payload()).json()["order_id"]
    assert (
        client.post(f"/orders/{order_id}/hold", json={"reason": "fraud"}).json()["status"] == "held"
    )
    assert (
        client.get("/orders", params={"status": "held"}).json()["items"][0]["order_id"] == order_id
    )
    assert client.post(f"/orders/{order_id}/release").json()["status"] == "released"
    client.post(f"/orders/{order_id}/cancel", json={"reason": "x"})
    refused = client.post(f"/orders/{order_id}/hold", json={"reason": "fraud"})
    assert refused.status_code == 409 and refused.json()["error"] == "invalid_transition"


def test_unknown_and_malformed_ids(client: TestClient):
    assert client.get("/orders/00000000-0000-0000-0000-000000000001").status_code == 404
    malformed = client.get("/orders/not-a-uuid")
    assert malformed.status_code == 422 and malformed.json()["fields"][0]["field"] == "order_id"


def test_query_errors_name_the_parameter(client: TestClient):
    assert client.get("/orders", params={"colour": "red"}).json()["fields"][0]["field"] == "colour"
    assert client.get("/orders", params={"status": "lost"}).status_code == 422
    assert client.get("/orders", params={"limit": 0}).status_code == 422
    assert (
        client.get("/orders", params={"cursor": "garbage"}).json()["fields"][0]["field"] == "cursor"
    )


def test_search_and_paging(client: TestClient):
    ids = [client.post("/orders", json=an_order_payload()).json()["order_id"] for _ in range(5)]
    email = an_order_payload(customer={"name": "Bo", "email": "Bo@Example.org"})
    bo = client.post("/orders", json=email).json()
    assert [
        i["order_id"] for i in client.get("/orders", params={"q": "bo@example.org"}).json()["items"]
    ] == [bo["order_id"]]
    seen, cursor = [], None
    while True:
        page = client.get(
            "/orders", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [item["order_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([*ids, bo["order_id"]])


def test_a_cursor_is_followed_only_as_it_was_given_and_with_its_own_filters(client: TestClient):
    """A cursor used to be any string of its shape: a hand-made or altered one was followed."""
    for _ in range(3):
        client.post("/orders", json=an_order_payload())
    cursor = client.get("/orders", params={"limit": 1}).json()["next_cursor"]
    assert client.get("/orders", params={"limit": 2, "cursor": cursor}).status_code == 200
    position, _, signature = cursor.rpartition(".")
    earlier = position.replace(position[:4], str(int(position[:4]) - 1), 1)
    for forged in (position, f"{earlier}.{signature}", f"{position}.{'0' * 32}"):
        refused = client.get("/orders", params={"cursor": forged})
        assert refused.status_code == 422, forged
        assert refused.json()["fields"] == [{"field": "cursor", "message": ANY}]
    elsewhere = client.get("/orders", params={"cursor": cursor, "channel": "marketplace"})
    assert elsewhere.status_code == 422 and "these filters" in elsewhere.json()["detail"]


def test_health_ready_and_docs(client: TestClient):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert client.get("/docs").status_code == 200
    assert "/orders" in client.get("/openapi.json").json()["paths"]
