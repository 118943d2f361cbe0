"""Every error is JSON `{error, detail, fields}`; faults of the stores are 503 with Retry-After
(or a 500 naming its request id), made to happen for real: a PostgreSQL server that goes
away, a SQLite file locked by another process, a disk that is full."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.errors import store_fault, why_away
from api.http.middleware import RequestIdFilter
from tests.access_builders import admin_headers
from tests.builders import an_order_payload
from tests.conftest import reset_postgres
from tests.faults.disks import fill
from tests.faults.proxy import FaultyProxy


def is_error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == code and body["detail"] and isinstance(body["fields"], list), body
    return body


def is_unavailable(answer, code: str = "store_unavailable") -> None:
    body = is_error(answer, 503, code)
    assert int(answer.headers["retry-after"]) > 0
    assert body["request_id"] == answer.headers["x-request-id"]


# --- request ids and the error shape ------------------------------------------------


def test_every_answer_carries_a_request_id_the_callers_own_when_well_formed(client: TestClient):
    generated = {client.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(generated) == 3 and all(len(each) >= 16 for each in generated)
    mine = client.get("/orders/not-a-uuid", headers={"X-Request-Id": "trace-42.a:b"})
    assert mine.status_code == 422 and mine.headers["x-request-id"] == "trace-42.a:b"
    for bad in ("has space", "x" * 200, "ünïcode".encode(), "-leading"):
        kept = client.get("/health", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert kept != bad


def test_every_error_body_has_error_detail_and_fields(client: TestClient):
    is_error(client.get("/no/such/path"), 404, "not_found")
    wrong_method = client.delete("/orders")
    is_error(wrong_method, 405, "method_not_allowed")
    assert "POST" in wrong_method.headers["allow"]
    is_error(client.post("/orders", content=b"{", headers={"content-type": "application/json"}),
             400, "malformed_json")  # fmt: skip
    missing = f"/orders/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    assert is_error(client.get(missing), 404, "not_found")["fields"] == []


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured log records, stamped with their request id as `dom serve` stamps them."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_an_unexpected_exception_is_a_json_500_whose_request_id_is_in_the_log(
    dom: Container, logged: pytest.LogCaptureFixture
):
    app = create_app(dom)

    def broken() -> None:
        raise RuntimeError("a bug nobody foresaw")

    app.add_api_route("/broken", broken)
    with TestClient(app, headers=admin_headers(dom)) as client:
        answer = client.get("/broken")
    body = is_error(answer, 500, "internal_error")
    assert "a bug" not in answer.text  # the cause is for the log, not for the caller
    assert body["request_id"] == answer.headers["x-request-id"]
    (record,) = [r for r in logged.records if r.levelno == logging.ERROR]
    assert record.request_id == body["request_id"]
    assert record.exc_info and "a bug nobody foresaw" in str(record.exc_info[1])


def test_a_store_error_that_a_retry_will_not_mend_is_a_json_500_with_its_request_id(
    dom: Container, logged: pytest.LogCaptureFixture
):
    """PostgreSQL: a DataError (division by zero); SQLite: a missing table, which sqlite3
    calls an OperationalError though no retry will mend it."""
    app = create_app(dom)
    statement = "SELECT 1/0 AS x" if dom.store.dialect == "postgres" else "SELECT * FROM nothing"
    app.add_api_route("/broken", lambda: dom.store.query(statement))
    with TestClient(app, headers=admin_headers(dom)) as client:
        body = is_error(client.get("/broken"), 500, "internal_error")
    assert [r.request_id for r in logged.records if r.levelno == logging.ERROR] == [
        body["request_id"]
    ]


# --- the store goes away ------------------------------------------------------------


@pytest.fixture
def proxied(postgres_url: str) -> Iterator[tuple[Container, FaultyProxy]]:
    """A container whose PostgreSQL connections all pass through a proxy the test can cut."""
    reset_postgres(postgres_url)
    proxy = FaultyProxy()
    dom = bootstrap(
        Settings(database_url=proxy.url(postgres_url.rpartition("/")[2]), store_timeout=1)
    )
    yield dom, proxy
    proxy.close()
    dom.close()


def test_postgres_refusing_connections_is_a_fast_503_and_nothing_acknowledged_is_lost(
    proxied: tuple[Container, FaultyProxy],
):
    dom, proxy = proxied
    with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
        placed = client.post("/orders", json=an_order_payload())
        assert placed.status_code == 201
        order = placed.json()["order_id"]
        proxy.refuse()  # pooled connections dropped; new ones refused
        refused = an_order_payload()
        for method, path, body in [
            ("POST", "/orders", refused),
            ("GET", "/orders", None),
            ("GET", f"/orders/{order}", None),
            ("POST", f"/orders/{order}/hold", {"reason": "fraud check"}),
        ]:
            started = time.monotonic()
            answer = client.request(method, path, json=body)
            assert time.monotonic() - started < 4, f"{method} {path} took too long"
            is_unavailable(answer)
        proxy.forward()  # the pools reconnect with a backoff of their own
        again = eventually(lambda: client.post("/orders", json=refused), 30)
        assert again.status_code == 201  # not 200: the refused order was not recorded
        assert client.get(f"/orders/{order}").json()["status"] == "released"


def eventually(request, seconds: float):
    deadline = time.monotonic() + seconds
    while (answer := request()).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.5)
    return answer


def test_a_sqlite_store_locked_by_another_process_is_a_503(tmp_path: Path):
    dom = bootstrap(Settings(data_dir=tmp_path / "var", store_timeout=1))
    try:
        with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
            other = sqlite3.connect(tmp_path / "var" / "orders.sqlite", isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")
            payload = an_order_payload()
            started = time.monotonic()
            is_unavailable(client.post("/orders", json=payload))
            assert time.monotonic() - started < 4
            other.execute("ROLLBACK")
            other.close()
            assert client.post("/orders", json=payload).status_code == 201
    finally:
        dom.close()


def test_a_full_disk_is_a_503_store_full_and_nothing_acknowledged_is_lost(small_disk: Path):
    dom = bootstrap(Settings(data_dir=small_disk / "var", store_timeout=1))
    try:
        with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
            placed = client.post("/orders", json=an_order_payload()).json()["order_id"]
            filler = fill(small_disk)
            payload = an_order_payload(lines=50)
            is_unavailable(client.post("/orders", json=payload), "store_full")
            filler.unlink()
            assert client.post("/orders", json=payload).status_code == 201
            assert client.get(f"/orders/{placed}").status_code == 200
    finally:
        dom.close()


# --- the mapping, on errors the drivers really raise ---------------------------------


def sqlite_error(tmp_path: Path, statement: str, **connect: object) -> OperationalError:
    database = tmp_path / "x.sqlite"
    uri = f"file:{database}?mode=ro" if connect.pop("read_only", False) else str(database)
    try:
        sqlite3.connect(uri, uri=True, **connect).execute(statement)
    except sqlite3.Error as error:
        try:
            raise OperationalError(error) from error  # as the library wraps it
        except OperationalError as wrapped:
            return wrapped
    raise AssertionError(f"{statement} did not fail")


def test_sqlite_errors_are_unavailable_only_when_a_retry_may_mend_them(tmp_path: Path):
    sqlite3.connect(tmp_path / "x.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    assert why_away(sqlite_error(tmp_path, "INSERT INTO t VALUES (1)", read_only=True)) == (
        "store_unavailable", "the store cannot be written (read-only)")  # fmt: skip
    assert why_away(sqlite_error(tmp_path, "SELECT * FROM nothing")) is None
    holder = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    busy = sqlite_error(tmp_path, "INSERT INTO t VALUES (1)", timeout=0)
    assert why_away(busy) is not None and why_away(busy)[0] == "store_unavailable"


def test_a_write_that_lost_a_race_is_409_concurrent_change():
    answer = store_fault(IntegrityError("duplicate key value violates unique constraint"), "r1")
    assert answer.status_code == 409 and b"concurrent_change" in answer.body
