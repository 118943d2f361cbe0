from datetime import UTC, datetime
from decimal import Decimal

from adapters.serialization import OrjsonTranscoder, VersionedMapper
from domain.orders.order import Order
from tests.builders import NOW, an_order


def test_datetimes_and_decimals_survive_a_round_trip():
    transcoder = OrjsonTranscoder()
    value = {
        "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "amount": Decimal("1.10"),
        "n": [1, "a"],
    }
    assert transcoder.decode(transcoder.encode(value)) == value


def test_every_stored_event_carries_its_schema_version():
    mapper = VersionedMapper(transcoder=OrjsonTranscoder())
    events = Order.place(an_order(), NOW).collect_events()
    for event in events:
        stored = mapper.to_stored_event(event)
        assert OrjsonTranscoder().decode(stored.state)["class_version"] == 1
        again = mapper.to_domain_event(stored)
        assert type(again) is type(event) and vars(again) == vars(event)


def test_an_old_schema_is_upcast_when_read():
    class Renamed(Order.Released):
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["note"] = "upcast"

    mapper = VersionedMapper(transcoder=OrjsonTranscoder())
    stored = mapper.to_stored_event(Order.place(an_order(), NOW).collect_events()[1])
    stored_v1 = type(stored)(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=f"{__name__}:Renamed", state=stored.state,
    )  # fmt: skip
    globals()["Renamed"] = Renamed
    assert mapper.to_domain_event(stored_v1).note == "upcast"
