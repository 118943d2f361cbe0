"""Keyed locks: commands with a key in common take turns, others run side by side, and
two commands taking overlapping keys in any order never deadlock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from adapters.keyed_locks import KeyedLocks


def test_one_key_is_held_by_one_command_at_a_time():
    locks, inside, most = KeyedLocks(), [0], [0]
    guard = threading.Lock()

    def command(_: int) -> None:
        with locks.holding(["stock:FIRST:SKU-1"]):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.002)
            with guard:
                inside[0] -= 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(command, range(40)))
    assert most[0] == 1


def test_other_keys_run_side_by_side():
    locks = KeyedLocks()
    both = threading.Barrier(2, timeout=2)

    def command(key: str) -> None:
        with locks.holding([key]):
            both.wait()  # would time out if the second command waited for the first

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(command, ["stock:FIRST:SKU-1", "stock:FIRST:SKU-2"]))


def test_overlapping_keys_in_any_order_do_not_deadlock():
    locks = KeyedLocks(stripes=8)  # few stripes: many keys share one
    keys = [f"k{n}" for n in range(20)]

    def command(n: int) -> None:
        chosen = keys[n % 20 :] + keys[: n % 20]
        with locks.holding(list(reversed(chosen[:5])) if n % 2 else chosen[:5]):
            pass

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(command, range(400)))
    assert all(not lock.locked() for lock in locks.locks)
