"""Each key's requests are limited (OWASP API4, api/http/rate_limit.py): a burst spent is
429 with Retry-After and the RateLimit headers, another key goes on, time refills."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.dependencies import get_now
from tests.access_builders import NOW, a_token, bearer

BURST = 3


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    async def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def limited_dom(durable_store: Settings) -> Iterator[Container]:
    changes = {"rate_limit_per_second": 2.0, "rate_limit_burst": BURST}
    container = bootstrap(durable_store.model_copy(update=changes))
    yield container
    container.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def anonymous(limited_dom: Container, clock: Clock) -> Iterator[TestClient]:
    app = create_app(limited_dom)
    app.dependency_overrides[get_now] = clock
    with TestClient(app) as client:
        yield client


def test_a_spent_burst_is_429_with_the_headers_and_time_refills_it(
    anonymous: TestClient, limited_dom: Container, clock: Clock
):
    token = bearer(a_token(limited_dom, "channel", "webshop"))
    for _ in range(BURST):
        assert anonymous.get("/orders", headers=token).status_code == 200
    refused = anonymous.get("/orders", headers=token)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited" and refused.json()["detail"]
    headers = refused.headers
    assert headers["retry-after"] == "1"
    assert (headers["ratelimit-limit"], headers["ratelimit-remaining"]) == (str(BURST), "0")
    assert headers["ratelimit-reset"] == "2"  # 3 tokens at 2 a second
    other = bearer(a_token(limited_dom, "staff", "Ann"))
    assert anonymous.get("/orders", headers=other).status_code == 200  # its own bucket
    clock.now = NOW + timedelta(seconds=0.5)  # one token back
    assert anonymous.get("/orders", headers=token).status_code == 200
    assert anonymous.get("/orders", headers=token).status_code == 429
    clock.now = NOW + timedelta(seconds=10)  # full again, never more than the burst
    for _ in range(BURST):
        assert anonymous.get("/orders", headers=token).status_code == 200
    assert anonymous.get("/orders", headers=token).status_code == 429


def test_the_limit_can_be_turned_off(durable_store: Settings, clock: Clock):
    dom = bootstrap(durable_store.model_copy(update={"rate_limit": False, "rate_limit_burst": 1}))
    try:
        app = create_app(dom)
        app.dependency_overrides[get_now] = clock
        token = bearer(a_token(dom))
        with TestClient(app) as client:
            assert all(client.get("/orders", headers=token).is_success for _ in range(5))
    finally:
        dom.close()


@pytest.mark.parametrize(
    "field, value",
    [("rate_limit_per_second", 0), ("rate_limit_per_second", 200_000),
     ("rate_limit_burst", 0), ("rate_limit_burst", 2_000_000)],
)  # fmt: skip
def test_the_settings_are_range_checked(field: str, value: float):
    with pytest.raises(ValueError):
        Settings(**{field: value})
