"""The register of what this process recorded: it answers only for windows it holds whole."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.persistence import Notification, Recording

from projections.recent import RecentTopics


def recorded(*positions: int, topic: str = "t") -> list[Recording[Any]]:
    return [
        Recording(domain_event=None, notification=Notification(
            id=n, originator_id=uuid4(), originator_version=1, topic=f"{topic}{n}", state=b""))
        for n in positions
    ]  # fmt: skip


def test_a_window_recorded_here_whole_is_answered_with_its_topics():
    recent = RecentTopics()
    recent.add(recorded(1, 2, 3))
    assert recent.between(0, 3) == [(1, "t1"), (2, "t2"), (3, "t3")]
    assert recent.between(1, 2) == [(2, "t2")]
    assert recent.between(3, 3) == []


def test_a_position_recorded_elsewhere_leaves_the_window_unanswered():
    recent = RecentTopics()
    recent.add(recorded(1, 3))  # 2 was recorded by another process, or not registered yet
    assert recent.between(0, 3) is None
    assert recent.between(2, 3) == [(3, "t3")]


def test_the_oldest_positions_are_forgotten_beyond_its_capacity():
    recent = RecentTopics(capacity=3)
    recent.add(recorded(1, 2, 3, 4, 5))
    assert recent.between(0, 5) is None
    assert recent.between(2, 5) == [(3, "t3"), (4, "t4"), (5, "t5")]
