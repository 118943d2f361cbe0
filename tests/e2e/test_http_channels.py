"""Channels as configuration and the promises made from them, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
from api.http.dependencies import get_now
from tests.builders import an_order_payload
from tests.e2e.test_http_exception_actions import given

MARKET = {
    "name": "Marketplace",
    "kind": "marketplace",
    "time_zone": "Europe/Brussels",
    "service_levels": {
        "standard": {"handling_days": 1, "transit_days": 2},
        "express": {"handling_days": 0, "transit_days": 1},
    },
    "default_service_level": "standard",
    "at_risk_hours": 6,
    "targets": {"late_shipment_rate_max": 3.0},
}


def events(dom: Container) -> int:
    return dom.orders.recorder.max_notification_id() or 0


def placed(client: TestClient, **overrides: Any) -> dict[str, Any]:
    payload = an_order_payload(channel="marketplace", **overrides)
    payload["lines"][0]["sku"] = "SKU-1"
    answer = client.post("/orders", json=payload)
    assert answer.status_code == 201, answer.text
    detail: dict[str, Any] = client.get(f"/orders/{answer.json()['order_id']}").json()
    return detail


def test_a_channel_is_configured_versioned_and_listed(client: TestClient, dom: Container):
    created = client.put("/channels/marketplace", json=MARKET)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    assert created.json()["targets"] == {"late_shipment_rate_max": 3.0, "valid_tracking_rate_min": 95.0,
                                         "cancellation_rate_max": 2.5, "otif_min": 95.0}  # fmt: skip
    before = events(dom)
    same = client.put("/channels/marketplace", json=MARKET)
    assert same.status_code == 200 and same.json()["version"] == 1 and events(dom) == before
    changed = client.put("/channels/marketplace", json=MARKET | {"at_risk_hours": 2})
    assert changed.json()["version"] == 2 and changed.json()["at_risk_hours"] == 2
    client.put("/channels/b2b", json=MARKET | {"name": "Wholesale", "kind": "webshop"})
    assert [c["code"] for c in client.get("/channels").json()["items"]] == ["b2b", "marketplace"]
    assert client.get("/channels/unknown").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (MARKET | {"default_service_level": "next_day"}, "default_service_level"),
        (MARKET | {"kind": "bazaar"}, "kind"),
        (MARKET | {"time_zone": "Mars/Olympus"}, "time_zone"),
        (MARKET | {"name": "Market\x00place"}, "name"),
        (MARKET | {"colour": "blue"}, "colour"),
        (MARKET | {"targets": {"otif_min": 101}}, "otif_min"),
        (
            MARKET | {"service_levels": {"standard": {"handling_days": 61, "transit_days": 1}}},
            "handling_days",
        ),
    ],
)
def test_a_bad_channel_is_refused_and_records_nothing(
    client: TestClient, dom: Container, body: dict[str, Any], field: str
):
    before = events(dom)
    answer = client.put("/channels/marketplace", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert events(dom) == before and client.get("/channels/marketplace").status_code == 404


def test_an_order_is_promised_by_its_channel_and_location(client: TestClient):
    given(client, FIRST=5)  # Brussels time, Monday to Friday until 17:00
    client.patch("/locations/FIRST", json={"channels": ["marketplace", "webshop"]})
    client.put("/channels/marketplace", json=MARKET)
    # Tuesday 23 December 2025 at 18:00 in Brussels: past the cut-off, so day 0 is
    # Wednesday the 24th; one handling day skips Christmas (Friday 26th); two transit
    # days skip the weekend.
    detail = placed(client, placed_at="2025-12-23T18:00:00+01:00")
    assert detail["terms"] == {
        "service_level": "standard", "handling_days": 1, "transit_days": 2,
        "time_zone": "Europe/Brussels", "at_risk_hours": 6, "return_days": 30,
    }  # fmt: skip
    assert detail["promise"]["ship_by"] == "2025-12-26T16:00:00+00:00"
    assert detail["promise"]["deliver_by"] == "2025-12-30T22:59:59+00:00"
    express = placed(client, placed_at="2025-12-23T18:00:00+01:00", service_level="express")
    assert express["promise"]["ship_by"] == "2025-12-24T16:00:00+00:00"


def test_a_marketplace_s_own_dates_are_kept(client: TestClient):
    given(client, FIRST=5)
    client.patch("/locations/FIRST", json={"channels": ["marketplace", "webshop"]})
    detail = placed(client, placed_at="2026-12-01T09:00:00Z", ship_by="2026-12-03T12:00:00Z",
                    deliver_by="2026-12-09T20:00:00Z")  # fmt: skip
    assert detail["promise"]["ship_by"] == "2026-12-03T12:00:00+00:00"
    assert detail["promise"]["deliver_by"] == "2026-12-09T20:00:00+00:00"


def test_an_unconfigured_channel_gets_the_defaults(client: TestClient):
    detail = placed(client, placed_at="2026-12-01T09:00:00Z", service_level="same_day")
    # Nothing can take it (no location): promised from the channel's time zone (UTC),
    # standard service: one handling day, three transit days.
    assert detail["terms"]["service_level"] == "standard"
    assert detail["promise"]["ship_by"] == "2026-12-02T17:00:00+00:00"
    assert detail["promise"]["deliver_by"] == "2026-12-07T23:59:59+00:00"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service_level": "same_day"}, "service_level"),
        ({"placed_at": "2026-12-02T09:00:00Z", "ship_by": "2026-12-01T09:00:00Z"}, "ship_by"),
        ({"ship_by": "2026-12-09T09:00:00Z", "deliver_by": "2026-12-08T09:00:00Z"}, "deliver_by"),
        ({"ship_by": "2026-12-09T09:00:00"}, "ship_by"),
    ],
)
def test_a_bad_promise_or_service_level_is_refused(
    client: TestClient, dom: Container, overrides: dict[str, Any], field: str
):
    client.put("/channels/marketplace", json=MARKET)
    before = events(dom)
    payload = an_order_payload(channel="marketplace") | {"placed_at": "2026-12-01T09:00:00Z"}
    answer = client.post("/orders", json=payload | overrides)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert events(dom) == before


@pytest.fixture
def frozen(client: TestClient) -> Iterator[datetime]:
    moment = datetime(2026, 12, 1, 13, 46, tzinfo=UTC)  # a Tuesday, 14:46 in Brussels

    async def now() -> datetime:
        return moment

    client.app.dependency_overrides[get_now] = now  # type: ignore[attr-defined]
    yield moment
    client.app.dependency_overrides.pop(get_now)  # type: ignore[attr-defined]


def test_the_product_page_promise_counts_down_to_the_cut_off(client: TestClient, frozen: datetime):
    given(client, FIRST=5, SECOND=1)
    both = ["marketplace", "webshop"]
    client.patch("/locations/SECOND", json={"channels": both, "time_zone": "America/New_York"})
    client.patch("/locations/FIRST", json={"channels": both})
    client.put("/channels/marketplace", json=MARKET)
    asked = {"sku": "SKU-1", "country": "BE", "channel": "marketplace", "service_level": "express"}
    answer = client.get("/promise", params=asked).json()
    assert answer["available"] is True and answer["location"] == "FIRST"
    assert answer["order_within"] == "2 h 14 min" and answer["order_within_seconds"] == 8040
    assert answer["arrives_on"] == "2026-12-02" and answer["arrives"] == "Wednesday 2 December"
    assert {o["location"] for o in answer["options"]} == {"FIRST", "SECOND"}
    two = client.get("/promise", params=asked | {"quantity": 2}).json()
    assert [o["location"] for o in two["options"]] == ["FIRST"]
    none = client.get("/promise", params=asked | {"quantity": 6}).json()
    assert none["available"] is False and "6 of SKU-1" in none["reason"]
    bad = client.get("/promise", params=asked | {"service_level": "same_day"})
    assert bad.status_code == 422
    assert client.get("/promise", params=asked | {"colour": "red"}).status_code == 422


def test_the_pick_list_puts_the_earliest_ship_by_first(client: TestClient):
    given(client, FIRST=5)
    client.patch("/locations/FIRST", json={"channels": ["marketplace", "webshop"]})
    later = placed(client)  # the channel's standard service: one handling day
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    sooner = placed(client, ship_by=soon)  # requested after, due before
    listed = client.get("/locations/FIRST/shipments").json()["items"]
    assert [row["order_id"] for row in listed] == [sooner["order_id"], later["order_id"]]
    assert listed[0]["ship_by"] < listed[1]["ship_by"]
