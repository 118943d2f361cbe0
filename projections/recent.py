"""The topics of the events this process recorded lately, so that settling need not read
them back from the log to tell which followers they concern."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from eventsourcing.persistence import Recording


class RecentTopics:
    """The topics of the events this process recorded lately, by position.

    A follower that must reach a position asks what lies between it and
    there; when every position in between was recorded here, the answer
    needs no read of the log. A position missing (recorded by another
    process, too long ago, or not yet registered by a concurrent save)
    gives no answer, and the caller reads the log.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._topics: dict[int, str] = {}
        self._lock = threading.Lock()

    def add(self, recordings: Iterable[Recording[Any]]) -> None:
        with self._lock:
            for recording in recordings:
                self._topics[recording.notification.id] = recording.notification.topic
            while len(self._topics) > self.capacity:
                del self._topics[next(iter(self._topics))]  # the oldest registered

    def between(self, after: int, up_to: int) -> list[tuple[int, str]] | None:
        """(position, topic) of every event after `after` up to `up_to`, or None when
        any of them was not recorded here."""
        if up_to - after > self.capacity:
            return None
        with self._lock:
            found = [(n, self._topics.get(n)) for n in range(after + 1, up_to + 1)]
        if any(topic is None for _, topic in found):
            return None
        return [(n, topic) for n, topic in found if topic is not None]
