"""How a command's effects are settled: what this process recorded is not read again,
what another process recorded is, and a reaction another process made is still shown.

Two containers on one store stand for two processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from domain.fulfilment.application import StockCount
from projections.routing import routing_of
from tests.builders import NOW, an_order
from tests.stock_builders import a_location

ANY_WITH_STOCK = {"strategies": [{"name": "any with stock",
                                  "criteria": [{"kind": "stock", "mode": "whole"}],
                                  "fallback": "backorder"}]}  # fmt: skip


@pytest.fixture
def two(durable_store: Settings) -> Iterator[tuple[Container, Container]]:
    first, second = bootstrap(durable_store), bootstrap(durable_store)
    yield first, second
    first.close()
    second.close()


def window_reads(monkeypatch: pytest.MonkeyPatch, dom: Container, context: str) -> list[Any]:
    """The reads of a context's log bounded by a position (`stop=`): the settle window."""
    recorder = getattr(dom, context).recorder
    original = recorder.select_notifications
    reads: list[Any] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("stop") is not None:
            reads.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(recorder, "select_notifications", counting)
    return reads


def a_network(dom: Container) -> None:
    dom.fulfilment.define_location(a_location("WH1"), NOW)
    dom.fulfilment.count_stock([StockCount("WH1", "SKU-1", 50, NOW)], NOW)
    dom.fulfilment.draft_policy("default", ANY_WITH_STOCK, "", NOW)
    dom.fulfilment.activate_policy("default", 1, NOW)
    dom.runtime.catch_up_all()


def test_what_this_process_recorded_is_not_read_again_to_settle(dom, monkeypatch):
    """The followers a command does not concern are told from the topics this process
    recorded; without that register, settling reads each context's window again."""
    a_network(dom)
    reads = window_reads(monkeypatch, dom, "fulfilment")
    outcome = dom.fulfilment.reserve("WH1", "SKU-1", "order-1", {"1": 2})
    assert dom.runtime.settle("fulfilment", outcome.notification_id).current
    assert reads == []
    assert dom.runtime.followers["routing"].known >= outcome.notification_id


def test_what_another_process_recorded_is_read_before_a_view_is_skipped(two, monkeypatch):
    """Positions this process did not record are read from the log: a view they concern
    is brought up to date, not skipped as if they were not there."""
    here, there = two
    a_network(here)
    later = NOW + timedelta(minutes=1)
    counted = there.fulfilment.count_stock([StockCount("WH1", "SKU-1", 70, later)], later)
    assert counted.applied == 1  # recorded, not applied to any view yet
    reads = window_reads(monkeypatch, here, "fulfilment")
    outcome = here.fulfilment.reserve("WH1", "SKU-1", "order-1", {"1": 2})

    assert here.runtime.settle("fulfilment", outcome.notification_id).current
    assert reads, "the window holds a position recorded elsewhere: it must be read"
    [row] = here.store.query("SELECT on_hand, reserved FROM stock_levels WHERE sku = 'SKU-1'")
    assert (row["on_hand"], row["reserved"]) == (70, 2)


def test_a_reaction_another_process_made_is_still_settled_for_the_command(two):
    """The order is placed here, sourced by the other process's policy; settling here
    finds its position moved, and brings this process's views up to what it wrote."""
    here, there = two
    a_network(here)
    there.runtime.catch_up_all()
    placement = here.orders.place_order(an_order(), NOW)
    there.runtime.followers["fulfilment_policy"].catch_up()  # the other process sources it

    assert here.runtime.settle("orders", placement.notification_id).current
    [decision] = routing_of(here.store, str(placement.order.id))
    assert decision["plan"] == {"WH1": {"1": 1}}
