"""`Collected` gathers what the library's ProcessingEvent gathers, by another check."""

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from domain.processing import Collected


class Thing(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name

    def rename(self, name: str) -> None:
        self._renamed(name=name)

    @event("Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name


def collected(kind: type[ProcessingEvent], tracking: Tracking | None = None) -> tuple:
    a, b = Thing(name="a"), Thing(name="b")
    a.rename("A")
    loose = Thing(name="c")  # an event given on its own, not its aggregate
    [created] = loose.collect_events()
    processing = kind(tracking=tracking)
    processing.collect_events(a, None, b, created, note="x")
    return (
        [(type(e).__name__, e.originator_version) for e in processing.events],
        sorted(x.name for x in processing.aggregates.values()),
        processing.saved_kwargs,
        processing.tracking,
    )


def test_collected_gathers_what_the_library_gathers():
    tracking = Tracking("orders", 7)
    assert collected(Collected, tracking) == collected(ProcessingEvent, tracking)
    events, aggregates, kwargs, _ = collected(Collected)
    assert len(events) == 4 and aggregates == ["A", "b"] and kwargs == {"note": "x"}
