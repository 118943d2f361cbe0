"""PostgreSQL connections cut, refused or swallowed (through a proxy in front of the real
server): dead pooled connections are replaced before use, a store that does not answer
gives an error within the store timeout, and nothing acknowledged is lost."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from tests.access_builders import admin_headers
from tests.builders import NOW, an_order, an_order_payload
from tests.faults.proxy import FaultyProxy

STORE_TIMEOUT = 2.0
STORE_AWAY = (OperationalError, InterfaceError)


@pytest.fixture
def proxy() -> Iterator[FaultyProxy]:
    faulty = FaultyProxy()
    yield faulty
    faulty.close()


@pytest.fixture
def dom(clean_postgres: str, proxy: FaultyProxy) -> Iterator[Container]:
    database = clean_postgres.rpartition("/")[2]
    settings = Settings(database_url=proxy.url(database), store_timeout=STORE_TIMEOUT)
    container = bootstrap(settings)
    yield container
    proxy.forward()
    container.close()


def within(seconds: float, call, *args):
    started = time.monotonic()
    try:
        return call(*args)
    finally:
        assert time.monotonic() - started < seconds, f"took {time.monotonic() - started:.1f} s"


def test_connections_cut_while_pooled_are_replaced_before_use(dom, proxy):
    placed = dom.orders.place_order(an_order(), NOW)
    dom.runtime.settle("orders", placed.notification_id)

    proxy.cut()

    assert within(2, dom.store.query, "SELECT 1 AS one") == [{"one": 1}]
    assert within(2, dom.orders.get_order, placed.order.id).id == placed.order.id
    again = within(3, dom.orders.place_order, an_order(), NOW)
    assert again.created
    assert dom.runtime.settle("orders", again.notification_id).current


def test_a_store_refusing_connections_answers_within_the_store_timeout(dom, proxy):
    dom.orders.place_order(an_order(), NOW)
    proxy.refuse()

    with pytest.raises(STORE_AWAY):
        within(STORE_TIMEOUT + 2, dom.orders.place_order, an_order(), NOW)
    with pytest.raises(STORE_AWAY):
        within(STORE_TIMEOUT + 2, dom.store.query, "SELECT 1 AS one")
    settled = within(STORE_TIMEOUT * 6, dom.runtime.settle, "orders", 10**9)
    assert not settled.current  # followers give up in bounded time instead of retrying forever

    proxy.forward()
    deadline = time.monotonic() + 20
    while True:  # the pool reconnects in the background, with backoff
        try:
            placed = dom.orders.place_order(an_order(), NOW)
            break
        except STORE_AWAY:
            assert time.monotonic() < deadline, "the store never came back"
            time.sleep(0.2)
    assert placed.created and dom.orders.get_order(placed.order.id)


def test_a_store_that_accepts_and_never_answers_gives_an_error_in_bounded_time(dom, proxy):
    dom.orders.place_order(an_order(), NOW)
    proxy.swallow()
    with pytest.raises(STORE_AWAY):
        within(STORE_TIMEOUT + 4, dom.orders.place_order, an_order(), NOW)


def test_through_the_api_a_refusing_store_gets_503_at_once_and_ready_within_a_second(dom, proxy):
    with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
        assert client.post("/orders", json=an_order_payload()).status_code == 201
        proxy.refuse()

        started = time.monotonic()
        ready = client.get("/ready")
        assert time.monotonic() - started < 1.5
        assert ready.status_code == 503 and ready.headers["Retry-After"]
        assert ready.json()["status"] == "unavailable"

        payload = an_order_payload()
        started = time.monotonic()
        refused = client.post("/orders", json=payload)
        assert time.monotonic() - started < STORE_TIMEOUT + 2
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert refused.json()["error"] == "store_unavailable"

        proxy.forward()
        deadline = time.monotonic() + 20
        while (again := client.post("/orders", json=payload)).status_code == 503:
            assert time.monotonic() < deadline, again.text
            time.sleep(0.2)
        assert again.status_code in (200, 201)  # the retry places it, or finds it placed
        assert client.get(f"/orders/{again.json()['order_id']}").status_code == 200
