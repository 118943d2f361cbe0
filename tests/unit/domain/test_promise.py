"""Delivery promises on a frozen clock: the time is an argument, so every case names it.

Brussels ships Monday to Friday until 17:00 local time; 2026-12-25 is a public holiday
in Belgium; Europe/Brussels moves to summer time on 2026-03-29 and back on 2026-10-25.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.promise import (
    Calendar,
    Promise,
    Terms,
    delivery_calendar,
    latest,
    order_within,
    promise,
    spoken,
)

BRUSSELS = Calendar("Europe/Brussels", "BE")
NEW_YORK = Calendar("America/New_York", "US", cutoff="15:00")
NEXT_DAY = Terms("standard", handling_days=0, transit_days=1)
ONE_AND_TWO = Terms("standard", handling_days=1, transit_days=2)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def promised(placed: str, terms: Terms, ships: Calendar = BRUSSELS, to: str = "BE") -> Promise:
    return promise(at(placed), terms, ships, delivery_calendar(ships, to))


@pytest.mark.parametrize(
    ("placed", "ship_by", "deliver_by"),
    [
        # Tuesday before the cut-off: ships today, arrives Wednesday.
        ("2026-12-01T16:59:00+01:00", "2026-12-01T17:00:00+01:00", "2026-12-02T23:59:59+01:00"),
        # One minute after it: ships Wednesday, arrives Thursday.
        ("2026-12-01T17:00:00+01:00", "2026-12-02T17:00:00+01:00", "2026-12-03T23:59:59+01:00"),
        # Friday evening and Saturday: nothing leaves before Monday; Tuesday delivery.
        ("2026-12-04T18:00:00+01:00", "2026-12-07T17:00:00+01:00", "2026-12-08T23:59:59+01:00"),
        ("2026-12-05T09:00:00+01:00", "2026-12-07T17:00:00+01:00", "2026-12-08T23:59:59+01:00"),
        # Thursday 24 December: ships that day, but the 25th is Christmas, then a weekend.
        ("2026-12-24T10:00:00+01:00", "2026-12-24T17:00:00+01:00", "2026-12-28T23:59:59+01:00"),
        # After the cut-off on the 24th: the next working day is Monday the 28th.
        ("2026-12-24T17:30:00+01:00", "2026-12-28T17:00:00+01:00", "2026-12-29T23:59:59+01:00"),
    ],
)
def test_cut_off_weekends_and_public_holidays(placed: str, ship_by: str, deliver_by: str):
    assert promised(placed, NEXT_DAY) == Promise(at(ship_by), at(deliver_by))


def test_handling_and_transit_days_skip_the_holiday():
    # Wednesday 23 December after the cut-off: day 0 is the 24th, one handling day
    # skips Christmas and the weekend (Monday 28th), two transit days: Wednesday 30th.
    assert promised("2026-12-23T17:30:00+01:00", ONE_AND_TWO) == Promise(
        at("2026-12-28T17:00:00+01:00"), at("2026-12-30T23:59:59+01:00")
    )


def test_the_cut_off_is_local_on_both_daylight_saving_changes():
    # Monday 30 March 2026, summer time: 15:30 UTC is 17:30 in Brussels, past the cut-off
    # (a fixed +01:00 would have said 16:30, before it). The cut-off is then 15:00 UTC.
    assert promised("2026-03-30T15:30:00+00:00", NEXT_DAY).ship_by == at(
        "2026-03-31T15:00:00+00:00"
    )
    assert promised("2026-03-30T14:59:00+00:00", NEXT_DAY).ship_by == at(
        "2026-03-30T15:00:00+00:00"
    )
    # Saturday 28 March, the night before the change: Monday's cut-off is in summer time.
    assert promised("2026-03-28T12:00:00+00:00", NEXT_DAY).ship_by == at(
        "2026-03-30T15:00:00+00:00"
    )
    # Monday 26 October, winter time again: 15:30 UTC is 16:30 local, before the cut-off.
    assert promised("2026-10-26T15:30:00+00:00", NEXT_DAY).ship_by == at(
        "2026-10-26T16:00:00+00:00"
    )
    # Friday 23 October (summer time) after the cut-off: Monday's cut-off is 16:00 UTC.
    assert promised("2026-10-23T15:30:00+00:00", NEXT_DAY).ship_by == at(
        "2026-10-26T16:00:00+00:00"
    )


def test_each_location_keeps_its_own_time_zone_and_cut_off():
    moment = "2026-12-01T19:30:00+00:00"  # 20:30 in Brussels, 14:30 in New York
    assert promised(moment, NEXT_DAY).ship_by == at("2026-12-02T17:00:00+01:00")
    assert promised(moment, NEXT_DAY, NEW_YORK, "US").ship_by == at("2026-12-01T15:00:00-05:00")
    # Thanksgiving (26 November 2026) is a holiday in New York, not in Brussels.
    thursday = "2026-11-26T10:00:00-05:00"
    assert promised(thursday, NEXT_DAY, NEW_YORK, "US").ship_by == at("2026-11-27T15:00:00-05:00")
    assert promised(thursday, NEXT_DAY).ship_by == at("2026-11-26T17:00:00+01:00")


def test_a_split_order_is_promised_by_its_last_part():
    early = Promise(at("2026-12-01T16:00:00Z"), at("2026-12-02T22:59:59Z"))
    late = Promise(at("2026-12-02T16:00:00Z"), at("2026-12-02T23:59:59Z"))
    assert latest([early, late]) == Promise(late.ship_by, late.deliver_by)


def test_order_within_counts_down_to_the_cut_off_of_day_zero():
    assert spoken(order_within(at("2026-12-01T14:46:00+01:00"), BRUSSELS)) == "2 h 14 min"
    assert order_within(at("2026-12-04T18:00:00+01:00"), BRUSSELS) == timedelta(days=2, hours=23)
    assert spoken(timedelta(minutes=45)) == "45 min"


def test_a_calendar_without_working_days_is_refused_not_looped_on():
    with pytest.raises(ValueError, match="no working day"):
        promised("2026-12-01T10:00:00+01:00", NEXT_DAY, Calendar("UTC", "BE", working_days=()))
