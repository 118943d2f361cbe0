"""What one stored event looks like on NATS: subject, headers and body (docs/relay.md).

The public name of an event is its aggregate and event class in kebab-case
(`Order.Placed` -> `order-placed`) with the class's schema version: the
subject is `<prefix>.<context>.<name>.v<version>`, e.g.
`dom.orders.order-placed.v1`. The body is the event as read through the
mapper, so an older stored version arrives upcast to the current one, which
is the version the subject names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import Notification

ENVELOPE = ("originator_id", "originator_version", "originator_topic", "timestamp")
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class Message:
    subject: str
    body: bytes
    headers: dict[str, str]


def public_name(topic: str) -> str:
    """`domain.orders.order:Order.Placed` -> `order-placed`."""
    qualname = topic.rpartition(":")[2]
    return "-".join(_WORD_BREAK.sub("-", part).lower() for part in qualname.split("."))


def schema_version(event: Any) -> int:
    return int(getattr(type(event), "class_version", 1))


def message_for(prefix: str, context: str, notification: Notification, event: Any) -> Message:
    """The message of one stored event (`event` is `notification` read by the mapper)."""
    name, version = public_name(notification.topic), schema_version(event)
    fields = vars(event)
    body = {
        "context": context,
        "event": name,
        "version": version,
        "notification_id": notification.id,
        "aggregate_id": fields["originator_id"],
        "aggregate_version": fields["originator_version"],
        "recorded_at": fields.get("timestamp"),
        "data": {key: value for key, value in fields.items() if key not in ENVELOPE},
    }
    headers = {
        "Nats-Msg-Id": f"{context}:{notification.id}",
        "Dom-Context": context,
        "Dom-Event": f"{name}.v{version}",
        "Dom-Aggregate-Id": str(fields["originator_id"]),
        "Dom-Aggregate-Version": str(fields["originator_version"]),
        "Dom-Notification-Id": str(notification.id),
        # TODO(issue 12): Dom-Correlation-Id once commands stamp a correlation on their
        # events; today no event carries one, so none is invented here.
    }
    return Message(f"{prefix}.{context}.{name}.v{version}", encode(body), headers)


def encode(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    """orjson writes UUIDs, datetimes (ISO 8601), enums and dataclasses itself."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, datetime):  # a subclass orjson does not take natively
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot leave dom as JSON")
