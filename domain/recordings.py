from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Recording


def last_notification_id(recordings: list[Recording[Any]]) -> int | None:
    """The log position of the last event saved: what a read model must reach to show it."""
    return recordings[-1].notification.id if recordings else None
