"""`Idempotency-Key` on every route that changes something, on both stores: the walk over
the OpenAPI, POST /orders through the group commit, a dispatch, and two processes racing."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from adapters.carrier_secrets import sign
from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.idempotency import CHANGING, in_flight
from domain.claims import RequestClaim, claim_id_for
from tests.access_builders import admin_headers
from tests.builders import an_order_payload
from tests.e2e.test_http_shipments import (
    HANDED,
    PARCEL,
    given_two_locations,
    levels,
    shipment_of,
    step,
)
from tests.e2e.test_http_sourcing import place
from tests.e2e.test_idempotency import Gate, credential_of, receiving_route
from tests.stock_builders import a_location_body
from tests.store_taps import tap_inserts

KEY = "Idempotency-Key"
SECRET = "s3cret-of-bpost-0123456789abcdefghij"


def recorded(dom: Container) -> int:
    return sum(app.recorder.max_notification_id() or 0 for app in (dom.orders, dom.fulfilment))


def changing_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route of the app that changes something, included routers'
    too (FastAPI keeps those apart from `app.routes`' own)."""
    app: Any = client.app
    return [(method, str(context.path)) for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
            for method in sorted((context.methods or set()) & CHANGING)]  # fmt: skip


def test_every_route_that_changes_something_honours_the_key(client: TestClient):
    """Each route is asked with a key that its scope already has in flight: it must answer
    409 before running anything. A route left out of the mechanism (a router without
    StrictRoute) runs instead and fails this test."""
    client.put("/carriers/bpost/tracking-secret", json={"secret": SECRET})
    paths = client.get("/openapi.json").json()["paths"]
    in_openapi = {(m.upper(), p) for p, ops in paths.items() for m in ops if m.upper() in CHANGING}
    walked = changing_routes(client)
    assert set(walked) == in_openapi and len(walked) >= 30
    flights = in_flight(client.app)
    for method, template in walked:
        claim_id = claim_id_for(credential_of(client), f"{method} {template}", "walk")
        flights.enter(claim_id)
        path = re.sub(r"\{[a-z_]*id\}", str(uuid.uuid4()), template)
        path = re.sub(r"\{code\}", "bpost", re.sub(r"\{version\}", "1", path))
        path = re.sub(r"\{[a-z_]+\}", "x", path)
        headers = {KEY: "walk", "Dom-Signature": sign(SECRET, b"{}", datetime.now(UTC))}
        answer = client.request(method, path, content=b"{}", headers=headers)
        assert answer.status_code == 409, (method, template, answer.text)
        assert answer.json()["error"] == "request_in_flight", (method, template)
        flights.leave(claim_id)


def test_a_replayed_order_placement_answers_201_again_and_records_nothing(
    client: TestClient, dom: Container
):
    payload = an_order_payload()
    first = client.post("/orders", json=payload, headers={KEY: "order-1"})
    assert first.status_code == 201, first.text
    before = recorded(dom)
    again = client.post("/orders", json=payload, headers={KEY: "order-1"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Location"] == first.headers["Location"]
    assert recorded(dom) == before
    assert client.post("/orders", json=payload).status_code == 200  # without: a retry, 200
    other = client.post("/orders", json=an_order_payload(), headers={KEY: "order-1"})
    assert other.status_code == 422 and recorded(dom) == before
    claim = dom.orders.find(
        RequestClaim, claim_id_for(credential_of(client), "POST /orders", "order-1")
    )
    assert claim is not None and claim.version == 1


def test_keyed_orders_share_the_batch_transaction_with_their_claims(
    client: TestClient, dom: Container, monkeypatch: pytest.MonkeyPatch
):
    transactions: list[list[str]] = []

    def tap(insert: Any, events: Any, kwargs: Any) -> Any:
        transactions.append([event.topic.rsplit(":", 1)[-1] for event in events])
        return insert()

    tap_inserts(monkeypatch, dom.orders.recorder, tap)
    start = threading.Barrier(8)

    def send(n: int) -> int:
        start.wait()
        answer = client.post("/orders", json=an_order_payload(), headers={KEY: f"batch-{n}"})
        return int(answer.status_code)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(send, range(8))) == [201] * 8
    placed = [t for t in transactions if "Order.Placed" in t]
    assert sum(t.count("Order.Placed") for t in placed) == 8
    assert all(t.count("Order.Placed") == t.count("RequestClaim.Claimed") for t in placed)


def test_a_lost_order_answer_is_rendered_again_without_a_second_order(
    client: TestClient, dom: Container
):
    payload = an_order_payload()
    first = client.post("/orders", json=payload, headers={KEY: "order-lost"})
    with dom.store.transaction() as sql:
        sql.execute("DELETE FROM idempotency_answers")
    before = recorded(dom)
    again = client.post("/orders", json=payload, headers={KEY: "order-lost"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"] and recorded(dom) == before


def test_a_replayed_dispatch_consumes_stock_once(client: TestClient, dom: Container):
    given_two_locations(client)
    shipment = shipment_of(client, place(client, quantity=2))
    for name, body in (("accept", None), ("pick", {"lines": {"1": 2}}),
                       ("pack", {"parcels": [PARCEL]})):  # fmt: skip
        assert step(client, shipment, name, body).status_code == 200
    url = f"/shipments/{shipment}/dispatch"
    first = client.post(url, json=HANDED, headers={KEY: "dispatch-1"})
    assert first.status_code == 200 and first.json()["changed"] is True
    assert levels(client, "FIRST") == (3, 0)
    before = recorded(dom)
    again = client.post(url, json=HANDED, headers={KEY: "dispatch-1"})
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    with dom.store.transaction() as sql:  # its answer lost: rendered again from what holds now
        sql.execute("DELETE FROM idempotency_answers")
    rendered = client.post(url, json=HANDED, headers={KEY: "dispatch-1"})
    assert rendered.json() == first.json() | {"changed": False}, rendered.text
    assert rendered.headers["Idempotent-Replayed"] == "true"
    assert recorded(dom) == before and levels(client, "FIRST") == (3, 0)


def test_two_processes_racing_with_one_key_record_it_once(
    durable_store: Settings, dom: Container, monkeypatch: pytest.MonkeyPatch
):
    """Two API processes (two containers on one store), one key: the first is held just
    before its insert, the second runs and commits the claim; the first's insert is then
    refused by the store's unique version, and it answers the second's kept answer."""
    other = bootstrap(durable_store)
    gates = Gate(), Gate()
    apps = [create_app(container) for container in (dom, other)]
    for app, gate in zip(apps, gates, strict=True):
        app.include_router(receiving_route(gate))
    held, go = threading.Event(), threading.Event()

    def tap(insert: Any, events: Any, kwargs: Any) -> Any:
        if any("RequestClaim" in event.topic for event in events):
            held.set()
            go.wait(10)
        return insert()

    try:
        same_key = admin_headers(dom)  # one credential, two processes
        with (
            TestClient(apps[0], headers=same_key) as first,
            TestClient(apps[1], headers=same_key) as second,
        ):
            first.put("/locations/WH1", json=a_location_body())
            tap_inserts(monkeypatch, dom.fulfilment.recorder, tap)
            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(first.post, "/test/receive-one", headers={KEY: "race"})
                assert held.wait(10)
                with dom.store.transaction() as sql:  # its lease, as if not yet written
                    sql.execute("DELETE FROM idempotency_answers")
                won = second.post("/test/receive-one", headers={KEY: "race"})
                go.set()
                lost = slow.result()
            assert won.status_code == 200, won.text
            assert (lost.status_code, lost.json()) == (200, won.json()), lost.text
            assert lost.headers["Idempotent-Replayed"] == "true"
            assert other.fulfilment.stock_item("WH1", "A").on_hand == 1
    finally:
        other.close()
