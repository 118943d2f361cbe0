"""Keyed locks for a process's commands (`domain.processing.Serialiser`): commands naming
a key in common run one after the other, the rest side by side.

A fixed set of striped locks stands for every key (a key maps to one stripe by its
hash), so memory stays flat however many keys there are; two keys may share a stripe,
which only makes them wait for each other. A command takes its stripes in ascending
order, so two commands can never hold one each and wait for the other's.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager

STRIPES = 1024


class KeyedLocks:
    def __init__(self, stripes: int = STRIPES) -> None:
        self.locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def holding(self, keys: Collection[str]) -> Iterator[object]:
        stripes = sorted({zlib.crc32(key.encode()) % len(self.locks) for key in keys})
        taken: list[threading.Lock] = []
        try:
            for stripe in stripes:
                self.locks[stripe].acquire()
                taken.append(self.locks[stripe])
            yield None
        finally:
            for lock in reversed(taken):
                lock.release()
