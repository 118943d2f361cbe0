"""Which moments a command may carry: the time rules every context shares.

A moment is an aware datetime in [EARLIEST, LATEST): from 1970-01-01T00:00Z
up to, not including, 2200-01-01T00:00Z. Nothing dom records happened
before the Unix epoch (no channel sold, no count was taken) or is dated two
centuries ahead, and the extremes break what lies below: converting
0001-01-01T00:00+01:00 to UTC overflows, and years 0 or 10000 cannot be read
back by every driver. So a moment outside the range is refused as bad input,
never passed on.

A sender's clock may run a little ahead of ours (MAX_CLOCK_SKEW); a moment
further ahead than that is a bad timestamp too, but only a caller that knows
`now` can tell.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_CLOCK_SKEW = timedelta(minutes=15)


def moment_problem(moment: datetime) -> str | None:
    """Why `moment` cannot be recorded, or None when it can.

    Compares without converting to UTC: an aware comparison works on any
    datetime, where astimezone overflows at the ends of the calendar.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        return "must carry a time zone offset"
    if not EARLIEST <= moment < LATEST:
        return "must be from 1970-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z"
    return None


def from_the_future(moment: datetime, now: datetime) -> bool:
    """Dated further ahead of `now` than a sender's clock may run."""
    return moment > now + MAX_CLOCK_SKEW
