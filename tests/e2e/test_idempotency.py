"""`Idempotency-Key` through HTTP, on both stores (api/http/idempotency.py).

Most of dom's commands are idempotent by themselves (a reference, a repeated
step changes nothing), so the key's own mechanism is proven on a test-only
route that is not: each run receives one more unit under a fresh reference.
Without the key it moves the stock on every call; with it, once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter, Response
from fastapi.testclient import TestClient
from freezegun import freeze_time

from api.bootstrap import Container
from api.http.app import create_app
from api.http.auth import Scope as AuthScope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.strict_route import StrictRoute
from domain.access.api_key import parse_token
from domain.claims import RequestClaim, claim_id_for
from domain.fulfilment.application import Movement
from tests.access_builders import a_token, admin_headers
from tests.e2e.conftest import says_how_far_the_read_models_got
from tests.stock_builders import a_location_body

KEY = "Idempotency-Key"
MOVE = {"location": "WH1", "sku": "A", "movement": "received", "quantity": 5, "reference": "PO-7"}


class Gate:
    """The test route's slow path and its fault: it waits for `go` when told to hold, and
    fails once after its commit when told to crash (a process dying before it answers)."""

    def __init__(self) -> None:
        self.hold, self.crash = False, False
        self.entered, self.go = threading.Event(), threading.Event()
        self.runs = 0


def receiving_route(gate: Gate) -> APIRouter:
    router = APIRouter(route_class=StrictRoute, dependencies=[AuthScope("inventory:write")])

    @router.post("/test/receive-one")
    def receive_one(dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
        gate.runs += 1
        if gate.hold:
            gate.entered.set()
            gate.go.wait(10)
        outcome = dom.fulfilment.move_stock(
            "WH1", "A", Movement.RECEIVED, 1, "", uuid.uuid4().hex, now
        )
        if gate.crash:
            gate.crash = False
            raise RuntimeError("the process died between the commit and the answer")
        on_hand = dom.fulfilment.stock_item("WH1", "A").on_hand
        return answer("fulfilment", outcome.notification_id, lambda: {"on_hand": on_hand})

    return router


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def client(dom: Container, gate: Gate) -> Iterator[TestClient]:
    app = create_app(dom)
    app.include_router(receiving_route(gate))
    with TestClient(app, headers=admin_headers(dom)) as test_client:
        test_client.event_hooks = {"request": [], "response": [says_how_far_the_read_models_got]}
        test_client.put("/locations/WH1", json=a_location_body())
        counts = [{"location": "WH1", "sku": "A", "quantity": 10,
                   "counted_at": "2026-11-26T10:00:00+00:00"}]  # fmt: skip
        test_client.post("/stock/counts", json={"counts": counts})
        yield test_client


def recorded(dom: Container) -> int:
    """Events in both contexts: claims included, so a replay that saved anything shows."""
    return sum(app.recorder.max_notification_id() or 0 for app in (dom.orders, dom.fulfilment))


def on_hand(dom: Container) -> int:
    return dom.fulfilment.stock_item("WH1", "A").on_hand


TOKENS: dict[tuple[int, str], str] = {}


def credential_of(client: TestClient) -> str:
    """What scopes the client's keys: its API key's id (api/http/idempotency.py)."""
    parsed = parse_token(client.headers["authorization"].removeprefix("Bearer "))
    assert parsed is not None
    return parsed[0].hex


def receive(client: TestClient, key: str | None, who: str | None = None) -> Any:
    """With the client's admin key, or, `who` given, with a key of that person's own."""
    headers = {KEY: key} if key else {}
    if who:
        dom = client.app.state.container  # type: ignore[attr-defined]
        token = TOKENS.setdefault((id(dom), who), a_token(dom, "admin", who, None))
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/test/receive-one", headers=headers)


def test_a_replay_answers_what_was_kept_and_records_nothing(client: TestClient, dom: Container):
    first = client.post("/stock/movements", json=MOVE, headers={KEY: "move-1"})
    assert first.status_code == 200 and first.json()["changed"] is True, first.text
    before = recorded(dom)
    again = client.post("/stock/movements", json=MOVE, headers={KEY: "move-1"})
    assert (again.status_code, again.json()) == (200, first.json())  # "changed": true, as kept
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert recorded(dom) == before and on_hand(dom) == 15
    rerun = client.post("/stock/movements", json=MOVE)  # without the key: run again
    assert rerun.json()["changed"] is False


def test_the_key_makes_a_command_that_is_not_idempotent_run_once(
    client: TestClient, dom: Container, gate: Gate
):
    assert [receive(client, None).json()["on_hand"] for _ in range(2)] == [11, 12]
    answers = [receive(client, "once") for _ in range(3)]
    assert {(a.status_code, a.json()["on_hand"]) for a in answers} == {(200, 13)}
    assert gate.runs == 3 and on_hand(dom) == 13


def test_the_claim_is_saved_in_the_commands_own_transaction(
    client: TestClient, dom: Container, monkeypatch: pytest.MonkeyPatch
):
    from tests.store_taps import tap_inserts

    transactions: list[list[str]] = []

    def tap(insert: Any, events: Any, kwargs: Any) -> Any:
        transactions.append([event.topic.rsplit(":", 1)[-1] for event in events])
        return insert()

    tap_inserts(monkeypatch, dom.fulfilment.recorder, tap)
    assert receive(client, "one-commit").status_code == 200
    assert transactions == [["StockItem.Received", "RequestClaim.Claimed"]]


def test_another_request_with_the_key_is_422_and_records_nothing(
    client: TestClient, dom: Container
):
    assert client.post("/stock/movements", json=MOVE, headers={KEY: "k"}).status_code == 200
    before = recorded(dom)
    other = client.post("/stock/movements", json=MOVE | {"quantity": 6}, headers={KEY: "k"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert recorded(dom) == before and on_hand(dom) == 15


def test_a_request_in_flight_with_the_key_is_409_with_retry_after(
    client: TestClient, dom: Container, gate: Gate
):
    gate.hold = True
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(receive, client, "slow")
        assert gate.entered.wait(10)
        second = receive(client, "slow")
        assert second.status_code == 409 and second.json()["error"] == "request_in_flight"
        assert second.headers["Retry-After"] == "1"
        gate.go.set()
        assert first.result().status_code == 200
    assert receive(client, "slow").headers["Idempotent-Replayed"] == "true"
    assert gate.runs == 1 and on_hand(dom) == 11


def test_sixteen_threads_with_one_key_run_the_command_once(client: TestClient, dom: Container):
    start = threading.Barrier(16)

    def send(_: int) -> int:
        start.wait()
        return int(receive(client, "burst").status_code)

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, range(16)))
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert on_hand(dom) == 11
    assert receive(client, "burst").json() == {"on_hand": 11}


def test_an_answer_lost_after_the_commit_does_not_run_the_command_again(
    client: TestClient, dom: Container, gate: Gate
):
    gate.crash = True
    died = receive(client, "lost")
    assert died.status_code == 500 and on_hand(dom) == 11  # recorded, then no answer
    before = recorded(dom)
    retried = receive(client, "lost")
    assert retried.status_code == 200 and retried.json() == {"on_hand": 11}, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert recorded(dom) == before and gate.runs == 2  # ran again to render, recorded nothing
    with dom.store.transaction() as sql:  # the kept answer lost too (it is only a cache)
        sql.execute("DELETE FROM idempotency_answers")
    assert receive(client, "lost").json() == {"on_hand": 11}
    assert recorded(dom) == before and on_hand(dom) == 11


def test_keys_are_scoped_by_credential(client: TestClient, dom: Container):
    ann, bob = receive(client, "shared", who="ann"), receive(client, "shared", who="bob")
    assert (ann.json(), bob.json()) == ({"on_hand": 11}, {"on_hand": 12})
    assert receive(client, "shared", who="ann").json() == {"on_hand": 11}
    assert receive(client, "shared").json() == {"on_hand": 13}  # the client's key: a third
    assert on_hand(dom) == 13


def test_a_key_is_never_replayed_to_a_request_whose_credentials_do_not_hold(
    client: TestClient, dom: Container
):
    assert receive(client, "mine").json() == {"on_hand": 11}
    [admin] = client.headers.get_list("authorization")
    forged = admin[: admin.rindex("_") + 1] + "not-the-secret"  # the same key id
    for headers in ({KEY: "mine", "Authorization": forged}, {KEY: "mine", "Authorization": ""}):
        answer = client.post("/test/receive-one", headers=headers)
        assert answer.status_code == 401 and "Idempotent-Replayed" not in answer.headers
    assert on_hand(dom) == 11


def test_keys_are_scoped_by_route_and_checked_against_the_path(client: TestClient, dom: Container):
    assert receive(client, "r").status_code == 200
    moved = client.post("/stock/movements", json=MOVE, headers={KEY: "r"})
    assert moved.status_code == 200 and moved.json()["changed"] is True  # another route
    client.put("/locations/WH2", json=a_location_body(), headers={KEY: "loc"})
    other = client.put("/locations/WH3", json=a_location_body(), headers={KEY: "loc"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"


def test_a_command_that_changes_nothing_still_claims_its_key(client: TestClient, dom: Container):
    client.post("/stock/movements", json=MOVE)
    same = client.post("/stock/movements", json=MOVE, headers={KEY: "nothing"})
    assert same.json()["changed"] is False
    claim_id = claim_id_for(credential_of(client), "POST /stock/movements", "nothing")
    assert dom.fulfilment.find(RequestClaim, claim_id) is not None


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there", "caf\u00e9"], ids=["empty", "long", "control", "latin"]
)
def test_a_malformed_key_is_refused(client: TestClient, dom: Container, key: str):
    before = recorded(dom)
    answer = client.post("/test/receive-one", headers={KEY: key.encode("latin-1")})  # type: ignore[dict-item]
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_idempotency_key"
    assert recorded(dom) == before


def test_two_key_headers_are_refused(client: TestClient):
    answer = client.post("/test/receive-one", headers=[(KEY, "a"), (KEY, "b")])
    assert answer.status_code == 400 and "one Idempotency-Key" in answer.json()["detail"]


def test_a_key_expires_and_may_then_be_used_again(client: TestClient, dom: Container):
    start = datetime.now(UTC)
    with freeze_time(start, tick=True) as clock:
        assert receive(client, "daily").json() == {"on_hand": 11}
        clock.move_to(start + timedelta(hours=23))
        assert receive(client, "daily").headers["Idempotent-Replayed"] == "true"
        clock.move_to(start + timedelta(hours=24, minutes=1))
        again = receive(client, "daily")
        assert again.json() == {"on_hand": 12} and "Idempotent-Replayed" not in again.headers
        assert receive(client, "daily").json() == {"on_hand": 12}
    claim = dom.fulfilment.find(
        RequestClaim, claim_id_for(credential_of(client), "POST /test/receive-one", "daily")
    )
    assert claim is not None and claim.version == 2
