"""One bad event stops no context: intake answers the truth, the projection that cannot
apply it stalls alone and says so, the policy parks it and goes on."""

from __future__ import annotations

from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import bootstrap
from api.http.app import create_app
from domain.fulfilment.routing_policy import RoutingPolicy
from projections.order_status import OrderStatusView
from tests.access_builders import admin_headers
from tests.bad_events import insert_tampered_order, with_nul_in_name, without_lines
from tests.builders import NOW, an_order_payload


def test_an_event_the_order_view_cannot_apply_stalls_it_alone(client, dom):
    first = client.post("/orders", json=an_order_payload())
    assert first.status_code == 201 and first.headers["Dom-Read-Models"] == "current"
    bad_order, bad_position = insert_tampered_order(dom, without_lines)

    after = client.post("/orders", json=an_order_payload())

    assert after.status_code == 201  # recorded: a success, whatever the followers do
    assert after.headers["Dom-Read-Models"].startswith("behind; ")
    assert "order_status=" in after.headers["Dom-Read-Models"]
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    stalled = ready.json()["followers"]["order_status"]
    assert stalled["state"] == "stalled" and stalled["notification_id"] == bad_position
    assert "KeyError" in stalled["error"] and "lines" in stalled["error"]
    assert 'dom_follower_stalled{follower="order_status"} 1.0' in client.get("/metrics").text
    # The other followers went on: the fulfilment policy parked the bad order and
    # took the next one; the routing view recorded the next order's decision.
    parked = [i for i in client.get("/exceptions").json()["items"] if i["kind"] == "parked"]
    assert [(i["policy"], i["subject"]) for i in parked] == [("fulfilment_policy", str(bad_order))]
    assert client.get(f"/orders/{after.json()['order_id']}/routing").json()["decisions"]
    # Commands on other contexts are unaffected.
    location = {"name": "DC", "type": "warehouse", "country": "BE", "latitude": 51.2,
                "longitude": 4.4, "time_zone": "Europe/Brussels"}  # fmt: skip
    assert client.put("/locations/WH1", json=location).status_code == 201


def test_a_stalled_view_resumes_when_restarted_after_the_fix(client, dom, monkeypatch):
    insert_tampered_order(dom, without_lines)
    placed = client.post("/orders", json=an_order_payload()).json()["order_id"]
    assert client.get(f"/orders/{placed}").status_code == 404  # behind the stalled event

    unfixed = bootstrap(dom.settings)  # a restart before the fix starts, and stalls again
    try:
        with TestClient(create_app(unfixed), headers=admin_headers(unfixed)) as again:
            assert again.get("/ready").json()["followers"]["order_status"]["state"] == "stalled"
            assert again.post("/orders", json=an_order_payload()).status_code == 201
    finally:
        unfixed.close()

    original = OrderStatusView.record_placed

    def tolerant(self, order_id, version, placed, at):  # the fix: an order without lines
        original(self, order_id, version, {"lines": [], **placed}, at)

    monkeypatch.setattr(OrderStatusView, "record_placed", tolerant)
    restarted = bootstrap(dom.settings)
    try:
        restarted.runtime.catch_up_all()
        assert restarted.runtime.health()["order_status"]["state"] == "running"
        assert restarted.store.query("SELECT * FROM follower_status") == []
        assert restarted.store.query(
            "SELECT order_id FROM order_status WHERE order_id = {}", (placed,)
        )
    finally:
        restarted.close()


def test_a_nul_that_postgresql_cannot_store_in_a_view_stalls_only_that_view(clean_postgres):
    """SQLite stores a NUL in text; PostgreSQL refuses it, and only the view stalls."""
    dom = bootstrap(Settings(database_url=clean_postgres))
    try:
        with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
            _, position = insert_tampered_order(dom, with_nul_in_name)
            answer = client.post("/orders", json=an_order_payload())
            assert answer.status_code == 201
            stalled = client.get("/ready").json()["followers"]["order_status"]
            assert stalled["state"] == "stalled" and stalled["notification_id"] == position
            assert "NUL" in stalled["error"]
            # The fulfilment side did not need the name: nothing parked there.
            items = client.get("/exceptions").json()["items"]
            assert not [item for item in items if item["kind"] == "parked"]
    finally:
        dom.close()


def test_a_stored_rule_set_that_no_longer_applies_parks_orders_instead_of_refusing_them(
    client, dom
):
    """An older release stored `"km": 1e400` as null and let it be activated; intake then
    answered 422 for orders it had recorded. Now the order is placed (201) and parked."""
    policy = RoutingPolicy(name="default")
    rules = {"strategies": [{"name": "near", "criteria": [{"kind": "max_distance", "km": None}]}]}
    policy._drafted(version=1, rules=rules, note="stored by an older release", at=NOW)
    policy._activated(version=1, retired=None, at=NOW)
    dom.fulfilment.save(policy)

    answer = client.post("/orders", json=an_order_payload())

    assert answer.status_code == 201
    assert client.get(f"/orders/{answer.json()['order_id']}").status_code == 200
    [parked] = [i for i in client.get("/exceptions").json()["items"] if i["kind"] == "parked"]
    assert parked["subject"] == answer.json()["order_id"] and "km" in parked["reason"]


def test_in_workers_mode_an_answer_says_when_the_read_models_are_not_there_yet(durable_store):
    settings = durable_store.model_copy(update={"followers": "workers",
                                                "read_your_writes_timeout": 0.2})  # fmt: skip
    dom = bootstrap(settings)  # no `dom work` process runs: nothing follows
    try:
        with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
            answer = client.post("/orders", json=an_order_payload())
            assert answer.status_code == 201
            assert answer.headers["Dom-Read-Models"].startswith("behind; order_status=0/")
    finally:
        dom.close()
