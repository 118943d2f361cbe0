"""The StockItem state machine run through the Fulfilment application on SQLite and
PostgreSQL: after every step the item read back from the store (no cache) equals the
live one, the invariants hold, and the availability view agrees with the aggregate."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from adapters.persistence import event_store_env
from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from domain.errors import Conflict, InsufficientStock, InvalidCommand
from domain.fulfilment.application import Fulfilment, Movement, StockCount
from domain.fulfilment.stock_item import StockItem
from projections.availability_queries import inventory
from tests.builders import NOW
from tests.stock_builders import a_location

REFUSED = (InsufficientStock, Conflict, InvalidCommand)
ORDERS = st.sampled_from(["o1", "o2", "o3", "o4"])
LINES = st.dictionaries(st.sampled_from(["1", "2", "3"]), st.integers(1, 8), min_size=1, max_size=3)


def state(item: StockItem) -> dict[str, Any]:
    return {k: v for k, v in vars(item).items() if k != "_pending_events"}


def machine_for(dom: Container, fresh: Fulfilment) -> type[RuleBasedStateMachine]:
    class StoredStockItem(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.code = f"L{uuid.uuid4().hex[:10]}".upper()
            dom.fulfilment.define_location(a_location(self.code), NOW)
            dom.fulfilment.count_stock([StockCount(self.code, "SKU", 10, NOW)], NOW)
            self.now = NOW
            self.moves = 0

        def item(self) -> StockItem:
            return dom.fulfilment.stock_item(self.code, "SKU")

        @rule(minutes=st.integers(1, 90))
        def time_passes(self, minutes: int) -> None:
            self.now += timedelta(minutes=minutes)

        @rule(quantity=st.integers(0, 40), back=st.integers(0, 120))
        def count(self, quantity: int, back: int) -> None:
            counted_at = self.now - timedelta(minutes=back)
            with contextlib.suppress(InvalidCommand):  # older than the movements kept
                dom.fulfilment.count_stock(
                    [StockCount(self.code, "SKU", quantity, counted_at)], self.now
                )

        @rule(movement=st.sampled_from(list(Movement)), quantity=st.integers(-5, 12))
        def move(self, movement: Movement, quantity: int) -> None:
            self.moves += 1
            with contextlib.suppress(InvalidCommand, InsufficientStock):
                dom.fulfilment.move_stock(
                    self.code, "SKU", movement, quantity, "", f"m{self.moves}", self.now
                )

        @rule(order=ORDERS, lines=LINES)
        def reserve(self, order: str, lines: dict[str, int]) -> None:
            before = self.item()
            try:
                outcome = dom.fulfilment.reserve(self.code, "SKU", order, lines)
            except REFUSED:
                assert state(self.item()) == state(before)
                return
            if outcome.changed:  # a retry of a held reservation reserves nothing new
                assert self.item().available >= 0
            else:
                assert state(self.item()) == state(before)

        @rule(order=ORDERS, line=st.none() | st.sampled_from(["1", "2"]))
        def release(self, order: str, line: str | None) -> None:
            line_ids = None if line is None else [line]
            dom.fulfilment.release(self.code, "SKU", order, line_ids, self.now)

        @rule(order=ORDERS)
        def dispatch(self, order: str) -> None:
            dom.fulfilment.dispatch(self.code, "SKU", order, None, self.now)

        @invariant()
        def stored_equals_live_and_the_rules_hold(self) -> None:
            live = self.item()
            assert live.on_hand >= 0 and all(q > 0 for q in live.reservations.values())
            assert live.reserved == sum(live.reservations.values())
            assert state(fresh.repository.get(live.id)) == state(live)
            dom.runtime.catch_up_all()
            [row] = [r for r in inventory(dom.store, "SKU") if r["location"] == self.code]
            levels = (row["on_hand"], row["reserved"], row["safety_stock"], row["available"],
                      row["oversold"])  # fmt: skip
            assert levels == (live.on_hand, live.reserved, live.safety_stock,
                              max(0, live.available), max(0, live.reserved - live.on_hand))  # fmt: skip

    return StoredStockItem


@pytest.fixture
def stores(durable_store: Settings):
    dom = bootstrap(durable_store)
    env = event_store_env(durable_store, Fulfilment.name) | {
        "FULFILMENT_AGGREGATE_CACHE_MAXSIZE": ""
    }
    fresh = Fulfilment(env=env)
    yield dom, fresh
    fresh.close()
    dom.close()


def test_stock_item_state_machine_on_a_real_store(stores):
    dom, fresh = stores
    run_state_machine_as_test(
        machine_for(dom, fresh),
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None),
    )
