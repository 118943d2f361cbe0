"""Group commit proven on the real stores: concurrent plain saves share transactions,
each writer gets its own answer, and no writer waits for an answer that never comes.

Saves go through an eventsourcing Application configured exactly as dom's
contexts are (`event_store_env`), so they pass the library's own arguments
(`tracking=None` for a plain save) to dom's recorders.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from adapters import group_commit
from adapters.persistence import event_store_env
from adapters.settings import Settings
from domain.processing import ContextApplication
from tests.store_taps import Ids, locked_for_writes, tap_inserts

T = TypeVar("T")


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, by: str) -> None:  # `by` names the save, so the store shows who won
        self.count += 1


class Tally(ContextApplication):
    name = "tally"


@pytest.fixture
def tally(durable_store: Settings) -> Iterator[Tally]:
    settings = durable_store.model_copy(update={"store_timeout": 1.0})
    app = Tally(env=event_store_env(settings, Tally.name))
    yield app
    app.close()


def on_threads(threads: int, work: Callable[[int], T]) -> list[T]:
    """Run work(0..threads-1) at once, each on its own thread."""
    start = threading.Barrier(threads)

    def started(worker: int) -> T:
        start.wait()
        return work(worker)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(started, range(threads)))


def stored(app: Tally) -> dict[int, Any]:
    """Every event in the store by notification id, as domain events."""
    notifications = app.recorder.select_notifications(start=None, limit=1_000_000)
    return {n.id: app.mapper.to_domain_event(n) for n in notifications}


def a_stored_event(version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=version, topic="t", state=b"{}")


def test_concurrent_saves_share_transactions_and_each_writer_gets_its_own_ids(
    tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []

    def commit_takes_time(insert: Callable[[], Ids], events: Sequence[Any], _: Any) -> Ids:
        time.sleep(0.002)  # as an fsync does: saves that arrive meanwhile queue up
        ids = insert()
        batches.append(len(events))
        return ids

    tap_inserts(monkeypatch, tally.recorder, commit_takes_time)
    threads, saves = 16, 25

    def save_counters(_: int) -> list[tuple[UUID, list[int]]]:
        saved = []
        for _ in range(saves):
            counter = Counter()
            recordings = tally.save(counter)
            saved.append((counter.id, [r.notification.id for r in recordings]))
        return saved

    saved = [s for per_thread in on_threads(threads, save_counters) for s in per_thread]

    assert sum(batches) == threads * saves  # every save committed once
    assert len(batches) < threads * saves / 2, "saves did not share transactions"
    assert all(len(ids) == 1 for _, ids in saved)
    ids = [ids[0] for _, ids in saved]
    assert len(set(ids)) == len(ids)
    in_store = stored(tally)
    assert {i: in_store[i].originator_id for i in ids} == {given[0]: c for c, given in saved}


def test_many_threads_with_conflicts_each_save_is_answered_as_recorded(tally: Tally) -> None:
    """16 threads x 200 saves, half of them on 4 shared aggregates, so writers race."""
    shared = []
    for _ in range(4):
        counter = Counter()
        tally.save(counter)
        shared.append(counter.id)
    setup_ids = set(stored(tally))

    def work(worker: int) -> list[tuple[str, UUID, int, float, float, list[int] | None]]:
        attempts = []
        for n in range(200):
            mark = f"{worker}-{n}"
            counter = Counter() if (worker + n) % 2 else tally.repository.get(shared[n % 4])
            counter.increment(mark)
            started = time.monotonic()
            try:
                ids: list[int] | None = [r.notification.id for r in tally.save(counter)]
            except IntegrityError:
                ids = None
            attempts.append((mark, counter.id, counter.version, started, time.monotonic(), ids))
        return attempts

    attempts = [a for per_thread in on_threads(16, work) for a in per_thread]
    won = [a for a in attempts if a[5] is not None]
    lost = [a for a in attempts if a[5] is None]
    assert lost, "no writers raced: the test proves nothing"
    increments = {
        (e.originator_id, e.originator_version): (i, e.by)
        for i, e in stored(tally).items()
        if isinstance(e, Counter.Incremented)
    }
    # Every successful save is in the store exactly once, with the ids it was given.
    assert len(increments) == len(won)
    for mark, counter_id, version, _, _, ids in won:
        assert ids and increments[(counter_id, version)] == (ids[-1], mark)
    # Every conflict was reported to the loser: another save holds that version.
    for mark, counter_id, version, *_ in lost:
        assert increments[(counter_id, version)][1] != mark
    # Notification ids are unique, and follow commit order.
    given = [i for a in won for i in a[5] or []]
    assert len(given) == len(set(given))
    assert set(given) == set(stored(tally)) - setup_ids
    assert_ids_follow_commit_order(won)


def assert_ids_follow_commit_order(won: list[tuple[Any, ...]]) -> None:
    """A save answered before another began has smaller ids; each save's ids increase."""
    by_end = sorted(won, key=lambda a: a[4])
    highest_before, ended = 0, 0
    for _, _, _, started, _, ids in sorted(won, key=lambda a: a[3]):
        while ended < len(by_end) and by_end[ended][4] < started:
            highest_before = max(highest_before, max(by_end[ended][5]))
            ended += 1
        assert ids == sorted(ids) and highest_before < ids[0]


def test_a_writer_left_out_of_the_batch_it_leads_returns_only_when_committed(
    tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_commit, "MAX_BATCH_EVENTS", 2)

    def commit_takes_time(insert: Callable[[], Ids], events: Sequence[Any], _: Any) -> Ids:
        time.sleep(0.002)
        return insert()

    tap_inserts(monkeypatch, tally.recorder, commit_takes_time)

    def insert_one_at_a_time(_: int) -> list[Ids]:
        return [tally.recorder.insert_events([a_stored_event()]) for _ in range(40)]

    answers = [ids for per_thread in on_threads(8, insert_one_at_a_time) for ids in per_thread]
    assert all(ids is not None and len(ids) == 1 for ids in answers)
    assert sorted(i for ids in answers for i in ids or []) == sorted(stored_ids(tally))


def stored_ids(app: Tally) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(start=None, limit=1_000_000)]


class HeldFirstCommit:
    """Holds the first transaction open, so the saves sent meanwhile queue up as one batch."""

    def __init__(self, tally: Tally, fault: Callable[[int], None] = lambda _: None) -> None:
        self.tally = tally
        self.fault = fault
        self.calls: list[int] = []
        self.release = threading.Event()

    def __call__(self, insert: Callable[[], Ids], events: Sequence[Any], _: Any) -> Ids:
        self.calls.append(len(events))
        if len(self.calls) == 1:
            self.release.wait(10)
        self.fault(len(self.calls))
        return insert()

    def run(self, pool: ThreadPoolExecutor, batch: list[StoredEvent]) -> list[Future[Ids]]:
        """The first save leads and is held; then `batch` queues behind it; then release."""
        first = pool.submit(self.tally.recorder.insert_events, [a_stored_event()])
        wait_until(lambda: len(self.calls) == 1)
        futures = [pool.submit(self.tally.recorder.insert_events, [e]) for e in batch]
        wait_until(lambda: self.tally.recorder.group.queued == len(batch))
        self.release.set()
        return [first, *futures]


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_an_event_the_store_refuses_fails_its_writer_alone(
    tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldFirstCommit(tally)
    tap_inserts(monkeypatch, tally.recorder, held)
    refused = a_stored_event(version=2**70)  # beyond any integer column
    with ThreadPoolExecutor(4) as pool:
        first, good, bad, other = held.run(pool, [a_stored_event(), refused, a_stored_event()])
        assert first.result(10) and good.result(10) and other.result(10)
        error = bad.exception(10)
    assert error is not None and not isinstance(error, IntegrityError | OperationalError)
    assert held.calls == [1, 3, 1, 1, 1]  # the shared batch, then writer by writer
    assert len(stored_ids(tally)) == 3


def test_a_store_outage_reaches_every_writer_of_the_batch(
    tally: Tally, durable_store: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldFirstCommit(tally)
    tap_inserts(monkeypatch, tally.recorder, held)
    with locked_for_writes(tally, durable_store), ThreadPoolExecutor(4) as pool:
        futures = held.run(pool, [a_stored_event() for _ in range(3)])
        errors = [future.exception(30) for future in futures]
    assert all(isinstance(error, OperationalError) for error in errors)
    assert held.calls == [1, 3]  # the batch was not split: nobody waited for the store twice
    assert stored_ids(tally) == []


def test_waiters_get_an_answer_when_the_leader_is_interrupted(
    tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt_second(call: int) -> None:
        if call == 2:
            raise KeyboardInterrupt

    held = HeldFirstCommit(tally, fault=interrupt_second)
    tap_inserts(monkeypatch, tally.recorder, held)
    with ThreadPoolExecutor(4) as pool:
        first, *batch = held.run(pool, [a_stored_event() for _ in range(3)])
        assert first.result(10)
        errors = [future.exception(10) for future in batch]
    assert sum(isinstance(e, KeyboardInterrupt) for e in errors) == 1  # the leader's own
    unknown = [e for e in errors if isinstance(e, OperationalError)]
    assert len(unknown) == 2 and all("unknown" in str(e) for e in unknown)


def test_a_waiter_takes_over_from_a_leader_whose_thread_is_gone(
    tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_commit, "LEADER_CHECK_SECONDS", 0.05)
    gone = threading.Thread(target=lambda: None)
    gone.start()
    gone.join()
    group: Any = tally.recorder.group
    group._leader = gone  # a leader that ended without stepping down
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(tally.recorder.insert_events, [a_stored_event()]).result(5)
