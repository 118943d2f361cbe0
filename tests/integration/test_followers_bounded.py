"""Followers retry a store that does not answer a bounded number of times, then report
`failing` and try again at their next call; an event they cannot apply stalls them at
that very event, after applying the ones before it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import OperationalError

from adapters.readstore import Sql
from domain.fulfilment.application import StockCount
from domain.orders.order import Order
from projections.follower import Follower
from tests.builders import NOW, an_order
from tests.stock_builders import a_location


class Recording:
    """A projection that records which orders it saw, failing as it is told."""

    name = "recording"
    upstream = "orders"
    tables = ("order_status",)
    topics = (Order.Placed,)

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.store_away = False
        self.cannot_apply: str | None = None
        self.calls = 0

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        self.calls += 1
        if self.store_away:
            raise OperationalError("server closed the connection unexpectedly")
        for event in events:
            if str(event.originator_id) == self.cannot_apply:
                raise ValueError("this one cannot be applied")
        self.seen += [str(event.originator_id) for event in events]


def test_a_store_that_does_not_answer_is_tried_a_bounded_number_of_times(dom):
    projection = Recording()
    follower = Follower(projection, dom.orders, dom.store)
    dom.orders.place_order(an_order(), NOW)
    projection.store_away = True

    started = time.monotonic()
    assert follower.catch_up() == 0
    assert time.monotonic() - started < 2 and projection.calls == 4
    assert follower.watch.health.state == "failing"
    assert "OperationalError" in (follower.watch.health.error or "")

    projection.store_away = False
    assert follower.catch_up() == 1
    assert follower.watch.health.state == "running"


def test_an_event_that_cannot_be_applied_stalls_the_follower_at_that_event(dom):
    projection = Recording()
    follower = Follower(projection, dom.orders, dom.store)
    placed = [dom.orders.place_order(an_order(), NOW) for _ in range(5)]
    projection.cannot_apply = str(placed[3].order.id)

    follower.catch_up()

    assert projection.seen == [str(p.order.id) for p in placed[:3]]  # those before it
    health = follower.watch.health
    assert health.state == "stalled" and "cannot be applied" in (health.error or "")
    stalled_at = health.notification_id
    assert stalled_at is not None and follower.position() == stalled_at - 2  # Placed, Released
    calls = projection.calls
    assert follower.catch_up() == 0 and projection.calls == calls  # stays stopped
    assert not follower.ensure(placed[4].notification_id)
    rows = dom.store.query("SELECT * FROM follower_status WHERE name = 'recording'")
    assert rows and rows[0]["state"] == "stalled" and rows[0]["notification_id"] == stalled_at


def test_a_command_opens_transactions_only_for_the_views_it_concerns(dom, monkeypatch):
    """Settling reads the command's events once and skips the followers they do not
    concern (no read-model transaction for them); bypassing that, every view would open one."""
    dom.fulfilment.define_location(a_location("WH1"), NOW)
    dom.fulfilment.count_stock([StockCount("WH1", "SKU-1", 5, NOW)], NOW)
    dom.runtime.catch_up_all()
    opened: list[str] = []
    for name in ("availability", "routing", "parked_fulfilment"):
        follower = dom.runtime.followers[name]
        original = follower._apply_next_batch

        def counting(size, follower=follower, original=original):
            opened.append(follower.name)
            return original(size)

        monkeypatch.setattr(follower, "_apply_next_batch", counting)

    outcome = dom.fulfilment.reserve("WH1", "SKU-1", "order-1", {"1": 2})
    settlement = dom.runtime.settle("fulfilment", outcome.notification_id)

    assert settlement.current and opened == ["availability"]
    assert dom.runtime.followers["routing"].known >= outcome.notification_id
