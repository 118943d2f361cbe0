"""Events that cannot be applied, written straight into a context's event table, as a
bug, a manual fix or an old release could leave them: real stored events, tampered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from api.bootstrap import Container
from domain.orders.order import Order
from tests.builders import NOW, an_order


def insert_tampered_order(
    dom: Container, tamper: Callable[[dict[str, Any]], None], **order: Any
) -> tuple[UUID, int]:
    """Store an order's Placed and Released events with the Placed state tampered;
    returns the order id and the notification id of the Placed event."""
    placed, released = Order.place(an_order(**order), NOW).collect_events()
    stored = [dom.orders.mapper.to_stored_event(event) for event in (placed, released)]
    state = orjson.loads(stored[0].state)
    tamper(state)
    stored[0] = StoredEvent(
        originator_id=stored[0].originator_id,
        originator_version=stored[0].originator_version,
        topic=stored[0].topic,
        state=orjson.dumps(state),
    )
    ids = dom.orders.recorder.insert_events(stored)
    assert ids is not None
    return placed.originator_id, ids[0]


def without_lines(state: dict[str, Any]) -> None:
    del state["placed"]["lines"]


def with_nul_in_name(state: dict[str, Any]) -> None:
    state["placed"]["customer"]["name"] = "Ann\x00Smith"
