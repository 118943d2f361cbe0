"""Dispatch under faults, on both stores: every dispatch retried until answered, and sent
twice besides; the API process killed -9 mid-way (SQLite: the embedded process, with the
policies and projections it drives; PostgreSQL: one of two API processes) and, on
PostgreSQL, the orders policy's worker killed -9 three times. Afterwards each reservation
was consumed once, on hand fell by exactly what left, reserved is back to zero, every
order rolled up each shipment once, and the views agree with the stock items."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.stock_item import StockItem, stock_item_id_for
from domain.orders.order import Order
from tests.access_builders import admin_headers
from tests.cluster.processes import Server, environment, start_worker, wait_until
from tests.e2e.test_http_shipments import PARCEL, given_two_locations, shipment_of
from tests.e2e.test_http_sourcing import place

pytestmark = pytest.mark.cluster
ORDERS, UNITS, STOCK = 60, 2, 200
HANDED = {"carrier": "bpost", "service": "standard"}


def packed_shipments(settings: Settings) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """ORDERS orders of UNITS each, sourced to FIRST and packed there: (order, shipment);
    and an admin key's headers, valid in that store."""
    dom = bootstrap(settings)
    try:
        key = admin_headers(dom)
        with TestClient(create_app(dom), headers=key) as client:
            given_two_locations(client, first=STOCK, second=5)
            pairs = []
            for _ in range(ORDERS):
                order_id = place(client, quantity=UNITS)
                shipment = shipment_of(client, order_id)
                for name, body in (("accept", None), ("pick", {"lines": {"1": UNITS}}),
                                   ("pack", {"parcels": [PARCEL]})):  # fmt: skip
                    answer = client.post(f"/shipments/{shipment}/{name}", json=body)
                    assert answer.status_code == 200, answer.text
                pairs.append((order_id, shipment))
            return pairs, key
    finally:
        dom.close()


def dispatch_all(
    shipments: list[str],
    key: dict[str, str],
    url_for: Callable[[int], str],
    faults: Callable[[Callable[[], int]], None],
) -> None:
    """Four clients dispatch every shipment twice over, each until it is answered 200
    (a transport error or 503 is tried again, on the next server); `faults(n)` runs in
    the test's thread as the count of answered dispatches grows."""
    answered: list[str] = []
    lock = threading.Lock()

    def dispatch(n: int) -> None:
        shipment = shipments[n % len(shipments)]
        deadline = time.monotonic() + 120
        for attempt in itertools.count():
            assert time.monotonic() < deadline, f"{shipment} was never answered"
            try:
                answer = httpx.post(
                    f"{url_for(n + attempt)}/shipments/{shipment}/dispatch",
                    json=HANDED | {"tracking_number": f"BP-{shipment[:8]}"}, headers=key,
                    timeout=10,
                )  # fmt: skip
            except httpx.TransportError:  # that server is down: wait for it or the other
                time.sleep(0.05)
                continue
            if answer.status_code == 200:
                with lock:
                    answered.append(shipment)
                return
            assert answer.status_code == 503, answer.text

    with ThreadPoolExecutor(4) as pool:
        running = pool.map(dispatch, range(2 * len(shipments)))
        faults_done = threading.Thread(target=faults, args=(lambda: len(answered),))
        faults_done.start()
        list(running)
        faults_done.join()
    assert Counter(answered) == {shipment: 2 for shipment in shipments}


def everything_left_once(dom: Container, pairs: list[tuple[str, str]]) -> None:
    dom.runtime.catch_up_all()
    for _, shipment in pairs:
        found = dom.fulfilment.find(Shipment, UUID(shipment))
        assert found is not None and found.status == "dispatched"
    item_id = stock_item_id_for("FIRST", "SKU-1")
    item = dom.fulfilment.find(StockItem, item_id)
    assert item is not None
    assert (item.on_hand, item.reserved_units) == (STOCK - ORDERS * UNITS, 0)
    shipped = [e for e in dom.fulfilment.events.get(item_id) if type(e).__name__ == "Shipped"]
    taken = Counter(key for event in shipped for key in event.taken)
    assert len(shipped) == ORDERS and set(taken.values()) == {1}  # each reservation once
    assert sum(event.units for event in shipped) == ORDERS * UNITS
    for order_id, shipment in pairs:
        events = dom.orders.events.get(UUID(order_id))
        assert [type(e).__name__ for e in events].count("Shipped") == 1, order_id
        order = dom.orders.find(Order, UUID(order_id))
        assert order is not None and list(order.shipments) == [shipment]
    [level] = [row for row in dom.store.query(
        "SELECT * FROM stock_levels WHERE location_code = 'FIRST' AND sku = 'SKU-1'")]  # fmt: skip
    assert (level["on_hand"], level["reserved"]) == (STOCK - ORDERS * UNITS, 0)
    statuses = dom.store.query("SELECT status FROM order_status")
    assert Counter(row["status"] for row in statuses) == {"shipped": ORDERS}


def test_sqlite_the_embedded_process_killed_mid_dispatch_consumes_each_reservation_once(
    tmp_path: Path,
):
    settings = Settings(data_dir=tmp_path, clock_seconds=0)
    pairs, key = packed_shipments(settings)
    env = {k: v for k, v in environment("").items() if k != "DOM_DATABASE_URL"}
    server = Server(env | {"DOM_DATA_DIR": str(tmp_path), "DOM_CLOCK_SECONDS": "0"})

    def faults(answered: Callable[[], int]) -> None:
        for target in (ORDERS // 2, ORDERS):
            wait_until(lambda t=target: answered() >= t)
            server.kill()
            server.restart()

    try:
        dispatch_all([s for _, s in pairs], key, lambda _: server.url, faults)
    finally:
        server.stop()
    dom = bootstrap(settings)
    try:
        everything_left_once(dom, pairs)
    finally:
        dom.close()


def test_postgres_api_and_orders_policy_killed_mid_dispatch_consume_each_reservation_once(
    clean_postgres: str,
):
    pairs, key = packed_shipments(Settings(database_url=clean_postgres, clock_seconds=0))
    env = environment(clean_postgres, DOM_FOLLOWERS="workers", DOM_READ_YOUR_WRITES_TIMEOUT="0.2")
    servers = [Server(env) for _ in range(2)]
    worker = start_worker("orders-policy", env)

    def faults(answered: Callable[[], int]) -> None:
        nonlocal worker
        for round_, target in enumerate((ORDERS // 3, 2 * ORDERS // 3, ORDERS)):
            wait_until(lambda t=target: answered() >= t)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            if round_ == 1:
                servers[0].kill()
                servers[0].restart()
            worker = start_worker("orders-policy", env)

    try:
        dispatch_all([s for _, s in pairs], key, lambda n: servers[n % 2].url, faults)
        dom = bootstrap(Settings(database_url=clean_postgres, followers="workers"))

        def rolled_up() -> bool:  # by the last worker, before this process drives anything
            orders = [dom.orders.find(Order, UUID(order_id)) for order_id, _ in pairs]
            return all(order is not None and order.shipments for order in orders)

        wait_until(rolled_up)
    finally:
        worker.terminate()
        worker.wait(10)
        for server in servers:
            server.stop()
    try:
        everything_left_once(dom, pairs)
    finally:
        dom.close()
