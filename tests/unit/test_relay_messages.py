"""The public name, subject, headers and JSON body of one event on NATS (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import Notification

from adapters.relay_messages import message_for, public_name


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        ("domain.orders.order:Order.Placed", "order-placed"),
        ("domain.fulfilment.shipment:Shipment.Dispatched", "shipment-dispatched"),
        ("domain.fulfilment.stock_item:StockItem.Reserved", "stock-item-reserved"),
        ("domain.orders.order:Order.LinesProgressed", "order-lines-progressed"),
        ("x:OTIFRow.Changed", "otif-row-changed"),
    ],
)
def test_the_public_name_is_aggregate_and_event_in_kebab_case(topic: str, name: str) -> None:
    assert public_name(topic) == name


class Counted:
    class_version = 2

    def __init__(self, **fields: object) -> None:
        vars(self).update(fields)


def test_a_message_carries_the_event_as_json_with_its_envelope() -> None:
    aggregate = UUID("12345678-1234-5678-1234-567812345678")
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    event = Counted(originator_id=aggregate, originator_version=3, timestamp=at,
                    originator_topic="x:StockItem", quantity=Decimal("1.50"),
                    skus=("A", "B"), seen={"b", "a"}, at=at)  # fmt: skip
    notification = Notification(
        id=42, originator_id=aggregate, originator_version=3,
        topic="x:StockItem.Counted", state=b"",
    )  # fmt: skip
    message = message_for("dom", "fulfilment", notification, event)

    assert message.subject == "dom.fulfilment.stock-item-counted.v2"
    assert message.headers == {
        "Nats-Msg-Id": "fulfilment:42", "Dom-Context": "fulfilment",
        "Dom-Event": "stock-item-counted.v2", "Dom-Aggregate-Id": str(aggregate),
        "Dom-Aggregate-Version": "3", "Dom-Notification-Id": "42",
    }  # fmt: skip
    assert orjson.loads(message.body) == {
        "context": "fulfilment", "event": "stock-item-counted", "version": 2,
        "notification_id": 42, "aggregate_id": str(aggregate), "aggregate_version": 3,
        "recorded_at": "2026-11-26T12:00:00+00:00",
        "data": {"quantity": "1.50", "skus": ["A", "B"], "seen": ["a", "b"],
                 "at": "2026-11-26T12:00:00+00:00"},
    }  # fmt: skip
