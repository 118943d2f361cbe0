"""`dom relay` on the real NATS server, in this process: every stored event of both
contexts arrives once, in order, with its subject and headers (PostgreSQL and SQLite);
the position moves only after JetStream acknowledged; a tail published again after a
crash is dropped by the stream; NATS away means bounded retries, never a raise."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import orjson
import pytest

from adapters import relay as relay_module
from adapters.relay import Relay
from adapters.relay_positions import RelayPositions
from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.demo import load_demo
from domain.claims import Ride, carrying, claim_id_for
from tests.builders import NOW, an_order
from tests.cluster.processes import free_port
from tests.relay_streams import NATS_URL, assert_exactly_once, own_stream, read_stream

DAY = timedelta(days=1)


class Crash(BaseException):
    """The process dies here (nothing after it runs)."""


def produce(dom: Container) -> None:
    load_demo(dom, NOW)  # orders, stock, sourcing, shipments: events of both contexts
    dom.runtime.catch_up_all()


def latest(dom: Container) -> dict[str, int]:
    """Each context's latest event (contexts with none yet left out, as the relay does)."""
    found = {name: app.recorder.max_notification_id() or 0 for name, app in dom.contexts.items()}
    return {name: n for name, n in found.items() if n}


async def relay_all(relay: Relay) -> None:
    async with relay.connected() as js:
        while await relay.step(js):
            pass


def test_every_event_of_both_contexts_arrives_once_in_order(durable_store: Settings) -> None:
    with own_stream() as stream:
        dom = bootstrap(durable_store, nats_url=NATS_URL, relay_batch=64, **stream)
        produce(dom)
        relay = Relay(dom.settings, dom.contexts, dom.store)
        asyncio.run(relay_all(relay))

        assert set(latest(dom)) == {"orders", "fulfilment", "payments"}  # the demo has no keys
        assert assert_exactly_once(dom, stream) == sum(latest(dom).values()) == relay.sent
        assert RelayPositions(dom.store, stream["relay_stream"]).load() == latest(dom)
        first = read_stream(stream["relay_stream"])[0]
        assert first.subject == f"{stream['relay_subject_prefix']}.orders.order-placed.v1"
        body = orjson.loads(first.data)
        assert body["event"] == "order-placed" and body["version"] == 1
        assert body["aggregate_id"] == first.headers["Dom-Aggregate-Id"]
        assert (body["context"], body["notification_id"], body["aggregate_version"]) == (
            "orders", 1, 1,
        )  # fmt: skip
        assert isinstance(body["data"]["placed"]["lines"][0]["unit_price"], str)  # a decimal
        assert "originator_id" not in body["data"]

        # a restarted relay goes on from the stored position: only the new events go out
        before = sum(latest(dom).values())
        dom.orders.place_order(an_order(lines=2), NOW)
        again = Relay(dom.settings, dom.contexts, dom.store)
        asyncio.run(relay_all(again))
        assert (again.sent, again.duplicates) == (sum(latest(dom).values()) - before, 0)
        assert assert_exactly_once(dom, stream) == sum(latest(dom).values())
        dom.close()


def test_request_claims_are_passed_over_and_the_position_still_covers_them(
    durable_store: Settings,
) -> None:
    """An Idempotency-Key's claim rides in its command's transaction (domain/claims.py):
    dom's plumbing, not news; a batch of claims alone still moves the position."""
    with own_stream() as stream:
        dom = bootstrap(durable_store, nats_url=NATS_URL, relay_batch=3, **stream)
        for n in range(4):
            ride = Ride(claim_id_for("key-1", "POST /orders", f"k{n}"), "f", NOW, NOW + DAY)
            with carrying(ride):
                dom.orders.place_order(an_order(lines=1), NOW)
        for n in range(4):  # claims alone, one after the other
            ride = Ride(claim_id_for("key-1", "POST /x", f"k{n}"), "f", NOW, NOW + DAY)
            dom.orders.save(ride.claim_on(None))
        dom.orders.place_order(an_order(lines=1), NOW)
        relay = Relay(dom.settings, dom.contexts, dom.store)
        asyncio.run(relay_all(relay))
        published = read_stream(stream["relay_stream"])
        topics = [n.topic for n in dom.orders.recorder.select_notifications(start=1, limit=100)]
        assert sum(t.startswith("domain.claims:") for t in topics) == 8
        assert len(published) == relay.sent == len(topics) - 8
        assert not any("claim" in message.subject for message in published)
        assert RelayPositions(dom.store, stream["relay_stream"]).load()["orders"] == len(topics)
        dom.close()


def test_the_position_moves_only_after_jetstream_acknowledged(clean_postgres: str) -> None:
    with own_stream() as stream:
        settings = Settings(database_url=clean_postgres, nats_url=NATS_URL, relay_batch=50,
                            relay_ack_timeout=1, **stream)  # fmt: skip
        dom = bootstrap(settings)
        produce(dom)
        relay = Relay(dom.settings, dom.contexts, dom.store)
        stored = RelayPositions(dom.store, stream["relay_stream"])

        async def publish_then_lose_the_stream() -> None:
            async with relay.connected() as js:
                await relay.step(js)
                assert stored.load() == {"orders": 50, "fulfilment": 50, "payments": 4}
                await js.delete_stream(stream["relay_stream"])  # nothing can be acknowledged
                with pytest.raises(Exception):  # noqa: B017 (the client's own error)
                    await relay.step(js)

        asyncio.run(publish_then_lose_the_stream())
        assert stored.load() == {"orders": 50, "fulfilment": 50, "payments": 4}
        assert relay.published == {"orders": 50, "fulfilment": 50, "payments": 4}
        dom.close()


def test_a_crash_after_the_ack_republishes_a_tail_the_stream_drops(
    clean_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_stream() as stream:
        settings = Settings(database_url=clean_postgres, nats_url=NATS_URL, relay_batch=40,
                            **stream)  # fmt: skip
        dom = bootstrap(settings)
        produce(dom)
        crashing = Relay(dom.settings, dom.contexts, dom.store)

        def die(*_: Any) -> None:
            raise Crash

        monkeypatch.setattr(crashing.positions, "save", die)  # acknowledged, never stored
        with pytest.raises(Crash):
            asyncio.run(relay_all(crashing))
        assert crashing.sent == 40

        restarted = Relay(dom.settings, dom.contexts, dom.store)
        asyncio.run(relay_all(restarted))
        assert restarted.duplicates == 40  # sent again, and dropped by the stream
        assert assert_exactly_once(dom, stream) == sum(latest(dom).values())
        dom.close()


def test_without_nats_the_relay_retries_with_bounded_backoff_and_says_so(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    dom = bootstrap(Settings(data_dir=tmp_path / "var", nats_url=nowhere, relay_max_backoff=0.4))
    produce(dom)
    relay = Relay(dom.settings, dom.contexts, dom.store)
    tries = []
    connect = relay_module.nats.connect

    async def counted(*args: Any, **kwargs: Any) -> Any:
        tries.append(asyncio.get_running_loop().time())
        return await connect(*args, **kwargs)

    monkeypatch.setattr(relay_module.nats, "connect", counted)

    async def run_for(seconds: float) -> None:
        stopping = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stopping.set)
        await relay.run(stopping)

    asyncio.run(run_for(2.5))  # returns when stopped: no raise, no hang
    assert 4 <= len(tries) <= 12  # 0.2 s, then 0.4 s at most between attempts
    assert max(b - a for a, b in itertools.pairwise(tries)) < 0.4 + 0.3
    status = dom.store.query("SELECT * FROM follower_status WHERE name = 'relay'")
    assert status and status[0]["state"] == "failing"
    assert RelayPositions(dom.store, "DOM").load() == {}
    dom.close()


def test_an_event_that_cannot_be_published_stalls_its_context_alone(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_stream() as stream:
        dom = bootstrap(Settings(data_dir=tmp_path / "var", nats_url=NATS_URL, **stream))
        produce(dom)
        build = relay_module.message_for

        def refuse_orders_5(prefix: str, context: str, notification: Any, event: Any) -> Any:
            if (context, notification.id) == ("orders", 5):
                raise TypeError("not JSON")
            return build(prefix, context, notification, event)

        monkeypatch.setattr(relay_module, "message_for", refuse_orders_5)
        relay = Relay(dom.settings, dom.contexts, dom.store)
        asyncio.run(relay_all(relay))

        assert relay.published == {"orders": 4, "fulfilment": latest(dom)["fulfilment"],
                                   "payments": latest(dom)["payments"]}  # fmt: skip
        status = dom.store.query("SELECT * FROM follower_status WHERE name = 'relay'")[0]
        assert (status["state"], status["notification_id"]) == ("stalled", 5)
        dom.close()
