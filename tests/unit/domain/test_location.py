from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.location import (
    Capability,
    Location,
    LocationProfile,
    LocationType,
    check_profile,
    location_id_for,
)
from tests.builders import NOW

ZONES = frozenset({"Europe/Brussels", "Europe/Amsterdam"})


def a_profile(**overrides: Any) -> LocationProfile:
    values: dict[str, Any] = {
        "code": "WH1",
        "name": "Antwerp DC",
        "type": LocationType.DISTRIBUTION_CENTRE,
        "country": "BE",
        "latitude": 51.2,
        "longitude": 4.4,
        "time_zone": "Europe/Brussels",
        "channels": ("webshop",),
        "daily_capacity": 500,
    }
    values.update(overrides)
    return LocationProfile(**values)


def registered(**overrides: Any) -> Location:
    location = Location.register(a_profile(**overrides), NOW)
    location.collect_events()
    return location


def bad_fields(profile: LocationProfile, time_zones: frozenset[str] | None = None) -> list[str]:
    with pytest.raises(InvalidCommand) as refused:
        check_profile(profile, time_zones)
    return [p.field for p in refused.value.problems]


def test_registering_records_the_profile():
    profile = a_profile()
    location = Location.register(profile, NOW)
    [event] = location.collect_events()
    assert type(event).__name__ == "Registered"
    assert event.profile == profile.as_record()
    assert location.code == "WH1"
    assert location.profile == profile.as_record()
    assert location.id == location_id_for("WH1")
    assert location.active


def test_the_stored_profile_is_plain_and_sorted():
    record = a_profile(
        channels=("b2b", "webshop", "b2b"),
        working_days=("fri", "mon"),
        capabilities=(Capability.SHIPS, Capability.PICKUP),
    ).as_record()
    assert record["type"] == "distribution_centre"
    assert record["channels"] == ["b2b", "webshop"]
    assert record["working_days"] == ["mon", "fri"]
    assert record["capabilities"] == ["pickup", "ships"]


def test_redefining_records_only_the_changed_fields():
    location = registered()
    assert location.redefine(a_profile(name="Antwerp North", daily_capacity=800), NOW)
    [event] = location.collect_events()
    assert type(event).__name__ == "Changed"
    assert event.changes == {"name": "Antwerp North", "daily_capacity": 800}
    assert location.profile["name"] == "Antwerp North"
    assert location.profile["daily_capacity"] == 800
    assert location.profile["country"] == "BE"


def test_redefining_with_the_same_profile_records_nothing():
    location = registered()
    assert not location.redefine(a_profile(), NOW)
    assert location.collect_events() == []


def test_the_order_of_channels_and_days_is_no_change():
    location = registered(channels=("a", "b"), working_days=("mon", "tue"))
    assert not location.redefine(a_profile(channels=("b", "a"), working_days=("tue", "mon")), NOW)
    assert location.collect_events() == []


def test_the_code_is_never_redefined():
    location = registered()
    assert not location.redefine(a_profile(code="wh1"), NOW)
    assert location.code == "WH1"
    assert location.profile["code"] == "WH1"


def test_deactivating_a_location():
    location = registered()
    assert location.redefine(a_profile(active=False), NOW)
    [event] = location.collect_events()
    assert event.changes == {"active": False}
    assert not location.active


def test_the_location_rebuilt_from_its_events_equals_the_live_one():
    location = Location.register(a_profile(), NOW)
    location.redefine(a_profile(name="Antwerp North"), NOW)
    location.redefine(a_profile(name="Antwerp North", priority=5, active=False), NOW)
    copy = None
    for event in location.collect_events():
        copy = event.mutate(copy)

    def state(o: Location) -> dict:
        return {k: v for k, v in vars(o).items() if k != "_pending_events"}

    assert state(copy) == state(location)


def test_a_good_profile_passes_the_check():
    check_profile(a_profile(), ZONES)


@pytest.mark.parametrize("code", ["", "-WH1", "WH 1", "W" * 33, "WH/1"])
def test_a_bad_code_is_named(code):
    assert bad_fields(a_profile(code=code)) == ["code"]


@pytest.mark.parametrize("cutoff_time", ["24:00", "9:00", "12:60", "noon", ""])
def test_a_bad_cutoff_time_is_named(cutoff_time):
    assert bad_fields(a_profile(cutoff_time=cutoff_time)) == ["cutoff_time"]


def test_an_unknown_working_day_is_named():
    assert bad_fields(a_profile(working_days=("mon", "Tuesday"))) == ["working_days"]


@pytest.mark.parametrize("latitude", [-90.1, 90.1])
def test_a_latitude_off_the_globe_is_named(latitude):
    assert bad_fields(a_profile(latitude=latitude)) == ["latitude"]


def test_an_unknown_time_zone_is_named_when_zones_are_given():
    assert bad_fields(a_profile(time_zone="Mars/Olympus"), ZONES) == ["time_zone"]


def test_the_time_zone_is_not_checked_without_a_set_of_zones():
    check_profile(a_profile(time_zone="Mars/Olympus"))


def test_every_bad_field_is_named_at_once():
    profile = a_profile(
        code="",
        name=" ",
        country="be",
        latitude=91,
        longitude=181,
        time_zone="Mars/Olympus",
        daily_capacity=-1,
        cutoff_time="25:00",
        working_days=("someday",),
    )
    assert bad_fields(profile, ZONES) == [
        "code",
        "name",
        "country",
        "latitude",
        "longitude",
        "time_zone",
        "daily_capacity",
        "cutoff_time",
        "working_days",
    ]


def test_the_location_id_is_case_insensitive_in_the_code():
    assert location_id_for("wh1") == location_id_for("WH1")
    assert location_id_for("WH1") != location_id_for("WH2")
    assert Location.register(a_profile(code="wh1"), NOW).id == location_id_for("WH1")


def test_control_characters_anywhere_in_a_profile_are_refused_naming_the_field():
    profile = a_profile(name="Antwerp\x00DC", address={"line1": "Meir\n1"})
    with pytest.raises(InvalidCommand) as refused:
        check_profile(profile)
    assert {p.field for p in refused.value.problems} >= {"name", "address.line1"}
