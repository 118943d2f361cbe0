"""Carriers' tracking webhook over HTTP, on both stores: only signed requests record
anything; news late, twice and out of order ends right; goods returned to sender are on
hand again once; a lost shipment waits in the exception queue until it is re-shipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient

from adapters.carrier_secrets import sign
from api.bootstrap import Container
from tests.e2e.test_http_exception_actions import place_lines
from tests.e2e.test_http_shipments import (
    HANDED,
    given_two_locations,
    levels,
    shipment_of,
    through_the_warehouse,
)
from tests.e2e.test_http_sourcing import place

SECRET = "s3cret-of-bpost-0123456789abcdefghij"
NUMBER = HANDED["tracking_number"]


def moment(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def send(
    client: TestClient,
    updates: list[dict[str, Any]],
    secret: str = SECRET,
    at: datetime | None = None,
    carrier: str = "bpost",
    tamper: bool = False,
    signature: str | None = None,
) -> Any:
    body = orjson.dumps({"updates": updates})
    header = signature or sign(secret, body, at or datetime.now(UTC))
    if tamper:
        body = body.replace(b"in_transit", b"in_trensit", 1)
    return client.post(f"/carriers/{carrier}/tracking", content=body,
                       headers={"Dom-Signature": header, "Content-Type": "application/json"})  # fmt: skip


def update(status: str, minutes: float, **more: Any) -> dict[str, Any]:
    return {"tracking_number": NUMBER, "status": status, "at": moment(minutes)} | more


def dispatched(client: TestClient, quantity: int = 2) -> tuple[str, str]:
    """An order of `quantity` units shipped from FIRST (5 on hand); the carrier's secret set."""
    given_two_locations(client)
    order_id = place(client, quantity=quantity)
    shipment = shipment_of(client, order_id)
    through_the_warehouse(client, shipment, {"1": quantity})
    answer = client.put("/carriers/bpost/tracking-secret", json={"secret": SECRET})
    assert answer.status_code == 204 and answer.content == b""
    return order_id, shipment


def history(client: TestClient, shipment: str) -> list[str]:
    read = client.get(f"/shipments/{shipment}").json()["history"]
    return [h["status"] for h in read if h.get("source") == "carrier"]


def test_only_requests_signed_by_the_carrier_record_anything(client: TestClient, dom: Container):
    _, shipment = dispatched(client)
    before = dom.fulfilment.recorder.max_notification_id()
    news = [update("in_transit", -5)]
    refusals = {
        "tampered byte": send(client, news, tamper=True),
        "wrong secret": send(client, news, secret=SECRET[::-1]),
        "missing header": client.post("/carriers/bpost/tracking", json={"updates": news}),
        "stale timestamp": send(client, news, at=datetime.now(UTC) - timedelta(seconds=301)),
        "future timestamp": send(client, news, at=datetime.now(UTC) + timedelta(seconds=301)),
        "malformed header": send(client, news, signature="v1=abc"),
        "not a number": send(client, news, signature="t=soon,v1=abc"),
        "no secret for the carrier": send(client, news, carrier="dhl"),
        "unsigned bad body": client.post("/carriers/bpost/tracking", content=b"{nope"),
    }
    for why, answer in refusals.items():
        assert answer.status_code == 401, why
        assert answer.json()["error"] == "unauthorized" and answer.json()["detail"], why
    assert dom.fulfilment.recorder.max_notification_id() == before
    assert client.get(f"/shipments/{shipment}").json()["status"] == "dispatched"
    signed = send(client, news)
    assert signed.status_code == 200, signed.text
    [outcome] = signed.json()["outcomes"]
    assert outcome["outcome"] == "applied" and outcome["shipment_id"] == shipment
    assert client.get(f"/shipments/{shipment}").json()["status"] == "in_transit"


def test_a_replayed_request_changes_nothing(client: TestClient, dom: Container):
    _, shipment = dispatched(client)
    body = orjson.dumps({"updates": [update("in_transit", -5, event_id="E-1")]})
    headers = {"Dom-Signature": sign(SECRET, body, datetime.now(UTC)),
               "Content-Type": "application/json"}  # fmt: skip
    first = client.post("/carriers/bpost/tracking", content=body, headers=headers)
    assert first.json()["outcomes"][0]["outcome"] == "applied"
    recorded = dom.fulfilment.recorder.max_notification_id()
    replayed = client.post("/carriers/bpost/tracking", content=body, headers=headers)
    assert replayed.status_code == 200
    assert replayed.json()["outcomes"][0]["outcome"] == "unchanged"
    assert dom.fulfilment.recorder.max_notification_id() == recorded
    assert history(client, shipment) == ["in_transit"]


def test_news_out_of_order_and_twice_ends_right_and_the_order_is_delivered(client: TestClient):
    order_id, shipment = dispatched(client)
    delivered_at, in_transit = moment(-1), update("in_transit", -50)
    answer = send(client, [
        update("delivered", -1) | {"at": delivered_at, "location": "Antwerpen"},
        update("out_for_delivery", -30, event_id="OFD-1"),
        in_transit,
        update("out_for_delivery", -29, event_id="OFD-1"),  # the same id, again
        in_transit,  # the same content, again
        {"tracking_number": "NOBODY-1", "status": "in_transit", "at": moment(-2)},
        update("in_transit", 60),  # from the future: refused, the others go on
    ])  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert [o["outcome"] for o in answer.json()["outcomes"]] == [
        "applied", "applied", "applied", "unchanged", "unchanged", "unknown_tracking_number",
        "refused"]  # fmt: skip
    assert "future" in answer.json()["outcomes"][-1]["detail"]
    assert history(client, shipment) == ["in_transit", "out_for_delivery", "delivered"]
    read = client.get(f"/shipments/{shipment}").json()
    assert read["status"] == "delivered" and read["delivered_at"] is not None
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "delivered" and order["lines"][0]["delivered"] == 2
    [shown] = order["shipments"]
    assert shown["status"] == "delivered" and shown["tracking_link"] is None
    assert shown["location"] == "FIRST" and shown["tracking_number"] == NUMBER
    assert datetime.fromisoformat(shown["delivered_at"]) == datetime.fromisoformat(delivered_at)
    late = send(client, [update("in_transit", -0.5)])  # after the end: kept, status stays
    assert late.json()["outcomes"][0]["outcome"] == "applied"
    assert client.get(f"/shipments/{shipment}").json()["status"] == "delivered"
    delivered = client.get("/locations/FIRST/shipments", params={"status": "delivered"})
    assert [item["shipment_id"] for item in delivered.json()["items"]] == [shipment]


def test_returned_to_sender_puts_the_goods_back_on_hand_once(client: TestClient):
    order_id, shipment = dispatched(client)
    assert levels(client, "FIRST") == (3, 0)
    for _ in range(2):
        answer = send(client, [update("returned_to_sender", -1, reason="refused by customer")])
        assert answer.status_code == 200
    send(client, [update("returned_to_sender", -0.5)])  # other content, after the end
    assert levels(client, "FIRST") == (5, 0)
    [entry] = client.get("/exceptions", params={"kind": "returned_to_sender"}).json()["items"]
    assert entry["order_id"] == order_id and entry["shipment_id"] == shipment
    assert "refused by customer" in entry["reason"] and entry["lines"] == {"1": 2}
    order = client.get(f"/orders/{order_id}").json()
    assert order["lines"][0]["state"] == "allocated" and order["status"] == "allocated"


def test_a_lost_shipment_is_reshipped_through_the_queue(client: TestClient):
    order_id, shipment = dispatched(client)
    send(client, [update("lost", -1)])
    [entry] = client.get("/exceptions").json()["items"]
    assert entry["kind"] == "lost" and entry["entry_id"] == f"shipment:{shipment}"
    actions = {action["name"]: action["href"] for action in entry["actions"]}
    assert set(actions) == {"reship", "cancel_lines", "resolve"}
    assert levels(client, "FIRST") == (3, 0)  # the goods left; nothing comes back
    answer = client.post(actions["reship"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["reshipped"] is True
    again = shipment_of(client, order_id)
    assert again != shipment
    assert client.get(f"/shipments/{again}").json()["status"] == "requested"
    assert levels(client, "FIRST") == (3, 2)
    assert client.get("/exceptions").json()["items"] == []
    assert client.post(actions["reship"]).json()["reshipped"] is False
    assert levels(client, "FIRST") == (3, 2)
    through_the_warehouse(client, again, {"1": 2}, tracking_number="BP-2")
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "shipped" and order["lines"][0]["shipped"] == 2
    delivered = send(client, [update("delivered", -1) | {"tracking_number": "BP-2"}])
    assert delivered.json()["outcomes"][0]["outcome"] == "applied"
    assert client.get(f"/orders/{order_id}").json()["status"] == "delivered"


def test_an_order_holds_several_entries_and_resolving_one_leaves_the_others(client: TestClient):
    given_two_locations(client)
    client.put("/carriers/bpost/tracking-secret", json={"secret": SECRET})
    order_id = place_lines(client, [("1", "SKU-1"), ("2", "SKU-NOWHERE")])
    shipment = shipment_of(client, order_id)
    through_the_warehouse(client, shipment, {"1": 1})
    send(client, [update("lost", -1)])
    items = client.get("/exceptions").json()["items"]
    assert sorted((i["order_id"], i["kind"]) for i in items) == [
        (order_id, "backordered"), (order_id, "lost")]  # fmt: skip
    client.post(f"/exceptions/orders/{order_id}/resolve", json={"note": "waits for stock"})
    [left] = client.get("/exceptions").json()["items"]
    assert left["kind"] == "lost" and left["shipment_id"] == shipment
    client.post(f"/exceptions/shipments/{shipment}/resolve", json={"note": "insurer pays"})
    assert client.get("/exceptions").json()["items"] == []
    entries = client.get(f"/orders/{order_id}").json()["exceptions"]
    assert sorted((e["kind"], e["resolved"]["note"]) for e in entries) == [
        ("backordered", "waits for stock"), ("lost", "insurer pays")]  # fmt: skip
    assert client.get(f"/orders/{order_id}").json()["waiting"]["kind"] == "backordered"


def test_a_lost_shipment_s_lines_may_be_cancelled_or_the_entry_resolved(client: TestClient):
    order_id, shipment = dispatched(client)
    send(client, [update("lost", -1)])
    resolved = client.post(f"/exceptions/shipments/{shipment}/resolve", json={"note": "refunded"})
    assert resolved.status_code == 200, resolved.text
    assert client.get("/exceptions").json()["items"] == []
    [entry] = client.get(f"/orders/{order_id}").json()["exceptions"]
    assert entry["resolved"]["note"] == "refunded"
    refused = client.post(f"/exceptions/shipments/{shipment}/cancel-lines", json={"note": "x"})
    assert refused.status_code == 409
    other_id, other = dispatched_again(client)
    send(client, [update("returned_to_sender", -1) | {"tracking_number": "BP-3"}])
    cancel = client.post(f"/exceptions/shipments/{other}/cancel-lines", json={"note": "no"})
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["cancelled_lines"] == ["1"]
    assert client.get(f"/orders/{other_id}").json()["status"] == "cancelled"
    assert client.get("/exceptions").json()["items"] == []
    assert client.post(f"/exceptions/shipments/{other}/reship").status_code == 409


def dispatched_again(client: TestClient) -> tuple[str, str]:
    order_id = place(client, quantity=1)
    shipment = shipment_of(client, order_id)
    through_the_warehouse(client, shipment, {"1": 1}, tracking_number="BP-3")
    return order_id, shipment


def test_tracking_bodies_are_checked_strictly_and_secrets_are_never_shown(client: TestClient):
    _, shipment = dispatched(client)
    for bad in ([update("in_transit", -1, colour="red")], [update("in_transit", -1,
                reason="a\x00b")], [update("beamed", -1)], []):  # fmt: skip
        assert send(client, bad).status_code == 422, bad
    assert (
        client.put("/carriers/bpost/tracking-secret", json={"secret": "short"}).status_code == 422
    )
    assert client.get("/carriers/bpost/tracking-secret").status_code == 405
    assert SECRET not in client.get("/openapi.json").text
    unknown = send(client, [update("in_transit", -1) | {"tracking_number": "BP-NOT-YET"}])
    assert unknown.json()["outcomes"][0]["outcome"] == "unknown_tracking_number"
    assert history(client, shipment) == []
