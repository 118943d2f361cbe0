"""The shared time rules: which moments a command may carry."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.moments import EARLIEST, LATEST, MAX_CLOCK_SKEW, from_the_future, moment_problem
from tests.builders import NOW

PLUS_ONE = timezone(timedelta(hours=1))
MINUS_ONE = timezone(-timedelta(hours=1))


@pytest.mark.parametrize(
    "moment",
    [
        EARLIEST,
        LATEST - timedelta(microseconds=1),
        NOW,
        datetime(1970, 1, 1, 1, 0, tzinfo=PLUS_ONE),  # = EARLIEST
    ],
)
def test_a_moment_in_range_can_be_recorded(moment):
    assert moment_problem(moment) is None


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=PLUS_ONE),  # astimezone(UTC) overflows on this one
        datetime(9999, 12, 31, 23, 59, tzinfo=MINUS_ONE),
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        EARLIEST - timedelta(microseconds=1),
        datetime(1970, 1, 1, 0, 59, tzinfo=PLUS_ONE),  # 1969 in UTC
        LATEST,
    ],
)
def test_a_moment_out_of_range_is_refused_without_overflowing(moment):
    assert "1970-01-01" in (moment_problem(moment) or "")


def test_a_moment_needs_a_time_zone():
    assert moment_problem(datetime(2026, 1, 1)) == "must carry a time zone offset"


def test_a_moment_ahead_of_the_clock_skew_is_from_the_future():
    assert not from_the_future(NOW + MAX_CLOCK_SKEW, NOW)
    assert from_the_future(NOW + MAX_CLOCK_SKEW + timedelta(microseconds=1), NOW)
