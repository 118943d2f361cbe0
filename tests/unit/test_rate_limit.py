"""The token bucket of api/http/rate_limit.py, with time as an argument."""

from __future__ import annotations

from api.http.rate_limit import TokenBuckets


def test_a_bucket_takes_its_burst_then_refills_at_the_rate():
    buckets = TokenBuckets(rate=10, burst=2)
    assert [buckets.take("a", 0.0).allowed for _ in range(3)] == [True, True, False]
    refused = buckets.take("a", 0.0)
    assert (refused.remaining, refused.retry_after, refused.reset) == (0, 1, 1)
    assert "Retry-After" in refused.headers()
    assert buckets.take("b", 0.0).allowed  # another key, another bucket
    assert buckets.take("a", 0.1).allowed and not buckets.take("a", 0.1).allowed
    assert buckets.take("a", 100.0).remaining == 1  # never more than the burst


def test_a_clock_going_back_refills_nothing():
    buckets = TokenBuckets(rate=1, burst=1)
    assert buckets.take("a", 10.0).allowed
    assert not buckets.take("a", 5.0).allowed
