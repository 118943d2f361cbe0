"""Requests per key, limited (OWASP API4): a token bucket per API key, in this process.

Each key's bucket holds up to `burst` tokens and refills at `rate` tokens a second; a
request takes one. An empty bucket answers 429 `rate_limited`, with `Retry-After` (whole
seconds until a token is back) and the IETF draft's `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers), so a
well-behaved client slows down instead of retrying at once.

In process, not shared: with N API replicas a key may send N times the rate. That bounds
what one leaked or runaway key can do to a replica, which is the point; a shared limit
belongs in front of the replicas (the proxy or gateway). The clock is the request's
(`api/http/dependencies.get_now`), so tests move time instead of sleeping. The defaults
(DOM_RATE_LIMIT_PER_SECOND=200, DOM_RATE_LIMIT_BURST=400) are far above what one
integration sends, so the bench and the tests are not throttled; DOM_RATE_LIMIT=false
turns it off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import HTTPException, Request

from adapters.settings import Settings

MAX_KEYS = 100_000  # buckets kept; emptied when full (a full bucket is the same as none)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # seconds until a request is taken again (0 when allowed)

    def headers(self) -> dict[str, str]:
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset)}  # fmt: skip
        return headers | ({"Retry-After": str(self.retry_after)} if not self.allowed else {})


class TokenBuckets:
    """One bucket per key id: (tokens, when last refilled, in seconds)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float) -> Verdict:
        tokens, then = self.buckets.get(key, (float(self.burst), now))
        now = max(now, then)  # a clock set back refills nothing, now or later
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        if len(self.buckets) >= MAX_KEYS and key not in self.buckets:
            self.buckets.clear()
        self.buckets[key] = (tokens, now)
        return Verdict(
            allowed,
            self.burst,
            int(tokens),
            math.ceil((self.burst - tokens) / self.rate),
            0 if allowed else math.ceil((1 - tokens) / self.rate),
        )


def buckets_of(request: Request) -> TokenBuckets | None:
    """The app's buckets, made on first use from its settings; None when turned off."""
    state = request.app.state
    if not hasattr(state, "rate_limits"):
        settings: Settings = state.container.settings
        on = settings.rate_limit
        state.rate_limits = (
            TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst) if on else None
        )
    buckets: TokenBuckets | None = state.rate_limits
    return buckets


def limited(request: Request, key_id: str, now: float) -> None:
    """Take a token from the key's bucket; 429 with the headers when there is none.
    Runs on the event loop (no await between reading and writing a bucket)."""
    buckets = buckets_of(request)
    if buckets is None:
        return
    verdict = buckets.take(key_id, now)
    if not verdict.allowed:
        detail = f"more than {buckets.rate:g} requests a second (bursts of {buckets.burst})"
        raise HTTPException(429, detail, headers=verdict.headers())
