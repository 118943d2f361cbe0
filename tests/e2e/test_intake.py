"""The HTTP intake batcher on both stores: every request of a batch gets its own true answer.

Requests are sent to one `IntakeBatcher` together, so they share a batch (the
batcher takes everything queued when its writer turns to it). Faults are the
real store's (a lock held by another session) or added around the library's
real insert beneath dom's group commit (`tests/store_taps.py`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from eventsourcing.persistence import DataError, OperationalError

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.intake import IntakeBatcher
from domain.errors import DomainError
from domain.orders.application import Placement
from domain.orders.order import order_id_for
from domain.orders.placement import PlaceOrder
from projections.order_status_queries import order_detail
from tests.builders import NOW, an_order
from tests.store_taps import Ids, locked_for_writes, tap_inserts

T = TypeVar("T")
Outcome = Placement | BaseException


@pytest.fixture
def dom(durable_store: Settings) -> Iterator[Container]:
    container = bootstrap(durable_store, store_timeout=1.0)
    yield container
    container.close()


@pytest.fixture
def batcher(dom: Container) -> Iterator[IntakeBatcher]:
    intake = IntakeBatcher(dom)
    yield intake
    intake.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, 30))  # a request that is never answered fails


def in_one_batch(
    batcher: IntakeBatcher, requests: list[tuple[PlaceOrder, datetime]]
) -> list[Outcome]:
    async def send() -> list[Outcome]:
        tasks = [asyncio.create_task(batcher.place(command, now)) for command, now in requests]
        return await asyncio.gather(*tasks, return_exceptions=True)

    return run(send())


def recorded(dom: Container, command: PlaceOrder) -> bool:
    return dom.orders._find(order_id_for(command.channel, command.channel_order_id)) is not None


def on_plain_saves(
    dom: Container, monkeypatch: pytest.MonkeyPatch, fault: Callable[..., Ids]
) -> None:
    """fault(insert, events) runs instead of each plain save of the orders store."""

    def tap(insert: Callable[[], Ids], events: Sequence[Any], kwargs: dict[str, Any]) -> Ids:
        return insert() if kwargs.get("tracking") else fault(insert, events)

    tap_inserts(monkeypatch, dom.orders.recorder, tap)


def test_each_order_of_a_batch_is_received_at_its_own_time(
    dom: Container, batcher: IntakeBatcher
) -> None:
    requests = [(an_order(), NOW + timedelta(seconds=n)) for n in range(3)]
    outcomes = in_one_batch(batcher, requests)
    for (_, now), outcome in zip(requests, outcomes, strict=True):
        assert isinstance(outcome, Placement) and outcome.order.received_at == now
        assert dom.orders.get_order(outcome.order.id).received_at == now


def test_a_client_that_goes_away_mid_batch_leaves_the_others_answered(
    dom: Container, batcher: IntakeBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    committing, release = threading.Event(), threading.Event()

    def held(insert: Callable[[], Ids], _: Any) -> Ids:
        committing.set()
        release.wait(10)
        return insert()

    on_plain_saves(dom, monkeypatch, held)
    commands = [an_order() for _ in range(3)]

    async def send() -> list[Outcome]:
        tasks = [asyncio.create_task(batcher.place(command, NOW)) for command in commands]
        await asyncio.to_thread(committing.wait, 10)
        tasks[1].cancel()  # its client disconnected while the batch was being committed
        await asyncio.sleep(0)
        release.set()
        return await asyncio.gather(tasks[0], tasks[2], return_exceptions=True)

    first, third = run(send())
    assert isinstance(first, Placement) and isinstance(third, Placement)
    assert all(recorded(dom, command) for command in commands)  # committed all the same


def test_an_order_that_raises_anything_fails_alone(dom: Container, batcher: IntakeBatcher) -> None:
    year_one = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    good, other = an_order(), an_order()
    bad = [an_order(placed_at=year_one), an_order(customer=None)]  # the second is no order at all
    outcomes = in_one_batch(batcher, [(good, NOW), (bad[0], NOW), (bad[1], NOW), (other, NOW)])
    assert isinstance(outcomes[0], Placement) and isinstance(outcomes[3], Placement)
    assert isinstance(outcomes[1], Exception) and isinstance(outcomes[2], Exception)
    assert recorded(dom, good) and recorded(dom, other)
    assert not recorded(dom, bad[0]) and not recorded(dom, bad[1])


def test_an_order_the_store_refuses_fails_alone(
    dom: Container, batcher: IntakeBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, refused, other = an_order(), an_order(), an_order()
    refused_id = order_id_for(refused.channel, refused.channel_order_id)

    def refuse(insert: Callable[[], Ids], events: Sequence[Any]) -> Ids:
        if any(e.originator_id == refused_id for e in events):
            raise DataError("value out of range")  # as the database says of a bad value
        return insert()

    on_plain_saves(dom, monkeypatch, refuse)
    outcomes = in_one_batch(batcher, [(good, NOW), (refused, NOW), (other, NOW)])
    assert isinstance(outcomes[0], Placement) and outcomes[0].created
    assert isinstance(outcomes[1], DataError)
    assert isinstance(outcomes[2], Placement) and outcomes[2].created
    assert recorded(dom, good) and recorded(dom, other) and not recorded(dom, refused)


def test_a_store_outage_fails_every_order_of_the_batch_at_once(
    dom: Container, durable_store: Settings, batcher: IntakeBatcher
) -> None:
    commands = [an_order() for _ in range(3)]
    started = time.monotonic()
    with locked_for_writes(dom.orders, durable_store):
        outcomes = in_one_batch(batcher, [(command, NOW) for command in commands])
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert time.monotonic() - started < 3  # one wait for the store, not one per order
    assert not any(recorded(dom, command) for command in commands)


def test_orders_committed_before_the_connection_dropped_are_answered_as_placed(
    dom: Container, batcher: IntakeBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost_after_commit(insert: Callable[[], Ids], _: Any) -> Ids:
        insert()
        raise OperationalError("server closed the connection unexpectedly")

    on_plain_saves(dom, monkeypatch, lost_after_commit)
    requests = [(an_order(), NOW + timedelta(seconds=n)) for n in range(3)]
    outcomes = in_one_batch(batcher, requests)
    for outcome in outcomes:
        assert isinstance(outcome, Placement) and outcome.created
        assert order_detail(dom.store, str(outcome.order.id)) is not None  # the read model too


def test_orders_lost_with_the_connection_are_answered_with_the_error(
    dom: Container, batcher: IntakeBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost_before_commit(insert: Callable[[], Ids], _: Any) -> Ids:
        raise OperationalError("server closed the connection unexpectedly")

    on_plain_saves(dom, monkeypatch, lost_before_commit)
    commands = [an_order() for _ in range(2)]
    outcomes = in_one_batch(batcher, [(command, NOW) for command in commands])
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert not any(recorded(dom, command) for command in commands)


def test_recorded_orders_are_answered_as_placed_when_a_follower_fails(
    dom: Container, batcher: IntakeBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("a read model could not be brought up to date")

    monkeypatch.setattr(dom.runtime, "settle", broken)
    outcomes = in_one_batch(batcher, [(an_order(), NOW), (an_order(), NOW)])
    assert all(isinstance(outcome, Placement) and outcome.created for outcome in outcomes)
    _, settled = run(batcher.place_settled(an_order(), NOW))
    assert settled.header().startswith("behind; ")  # the answer says the views are not current


def test_each_answer_says_how_far_the_read_models_got(batcher: IntakeBatcher) -> None:
    placement, settled = run(batcher.place_settled(an_order(), NOW))
    assert placement.created and settled.header() == "current"


def test_a_conflict_and_a_retry_in_one_batch_get_their_own_answers(
    dom: Container, batcher: IntakeBatcher
) -> None:
    placed = an_order()
    dom.orders.place_order(placed, NOW)
    changed = an_order(channel_order_id=placed.channel_order_id, lines=2)
    new = an_order()
    outcomes = in_one_batch(batcher, [(placed, NOW), (changed, NOW), (new, NOW)])
    assert isinstance(outcomes[0], Placement) and not outcomes[0].created
    assert isinstance(outcomes[1], DomainError)
    assert isinstance(outcomes[2], Placement) and outcomes[2].created
