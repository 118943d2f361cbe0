"""What the HTTP edge refuses, on both stores: text dom cannot record, moments out of
range, loose numbers, undeclared query parameters and bodies. Each refusal is a 422
naming the field, and records nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from api.bootstrap import Container
from tests.builders import an_order_payload
from tests.stock_builders import a_location_body

Payload = dict[str, Any]


def recorded(dom: Container) -> tuple[int, int]:
    """The last notification of each context's event store."""
    return (
        dom.orders.recorder.max_notification_id() or 0,
        dom.fulfilment.recorder.max_notification_id() or 0,
    )


def assert_refused(answer: Response, field: str, message: str | None = None) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "validation_error"
    problems = {problem["field"]: problem["message"] for problem in body["fields"]}
    assert field in problems, body
    if message is not None:
        assert problems[field] == message


def post_json(client: TestClient, url: str, text: str) -> Response:
    """A body sent as written: NaN, 1e400 or lone surrogates that json= cannot send."""
    return client.post(url, content=text.encode(), headers={"content-type": "application/json"})


def set_in(path: str, value: Any) -> Callable[[Payload], None]:
    """A change of the payload at a dotted path (list indexes as numbers)."""

    def change(payload: Payload) -> None:
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = value

    return change


@pytest.fixture
def located(client: TestClient) -> TestClient:
    assert client.put("/locations/WH1", json=a_location_body()).status_code == 201
    return client


# --- text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer.name", "Ann\x00Smith"),
        ("customer.name", "Ann\nSmith"),
        ("customer.email", "ann\x00@example.com"),
        ("shipping_address.line1", "Meir\x001"),
        ("shipping_address.city", "Ant\x85werpen"),
        ("lines.0.sku", "SKU\x00-1"),
        ("lines.0.line_id", "1\x1b"),
        ("channel_order_id", "CO\x00-1"),
        ("service_level", "express\tnow"),
    ],
)
def test_order_text_with_control_characters_is_refused_naming_the_field(
    client: TestClient, dom: Container, field: str, value: str
):
    payload = an_order_payload()
    set_in(field, value)(payload)
    assert_refused(client.post("/orders", json=payload), field)
    assert recorded(dom) == (0, 0)
    assert client.get("/orders").json()["items"] == []


def test_a_tag_with_a_nul_is_refused_naming_the_tag(client: TestClient, dom: Container):
    answer = client.post("/orders", json=an_order_payload(tags=["vip", "b\x00d"]))
    assert_refused(answer, "tags.1")
    assert recorded(dom) == (0, 0)


@pytest.mark.parametrize("where", ["customer.name", "tags.0", "lines.0.sku"])
def test_a_lone_surrogate_is_refused_with_422(client: TestClient, dom: Container, where: str):
    payload = an_order_payload(tags=["vip"])
    set_in(where, "SURROGATE")(payload)
    answer = post_json(client, "/orders", json.dumps(payload).replace("SURROGATE", "\\ud800"))
    assert_refused(answer, where)
    assert recorded(dom) == (0, 0)


def test_location_text_is_checked_in_the_body_and_the_path(client: TestClient, dom: Container):
    assert_refused(client.put("/locations/WH1", json=a_location_body(name="Antwerp\x00DC")), "name")
    assert_refused(
        client.put("/locations/WH1", json=a_location_body(address={"line1": "Meir\x001"})),
        "address.line1",
    )
    assert_refused(
        client.put("/locations/WH1", json=a_location_body(address={"li\x00ne1": "Meir 1"})),
        "address",
    )
    for code in ["WH%00", "WH1%0A", "W%01H"]:
        assert_refused(client.put(f"/locations/{code}", json=a_location_body()), "code")
    assert recorded(dom) == (0, 0)
    assert client.get("/locations").json()["items"] == []


def test_a_sku_in_the_path_is_checked(client: TestClient):
    assert_refused(client.get("/inventory/SKU%00-1"), "sku")
    assert_refused(client.get("/inventory/SKU%0A"), "sku")
    assert client.get("/inventory/SKU-1").status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/orders?q=%00", "q"),
        ("/orders?channel=web%00shop", "channel"),
        ("/orders?channel=webshop%0A", "channel"),
        ("/orders?cursor=%1F", "cursor"),
        ("/exceptions?kind=%00", "kind"),
        ("/locations?channel=%00", "channel"),
        ("/availability?sku=A%00&channel=webshop", "sku"),
    ],
)
def test_query_values_with_control_characters_are_refused(client: TestClient, url: str, field: str):
    assert_refused(client.get(url), field)


def test_a_reason_may_have_lines_but_no_nul(located: TestClient, dom: Container):
    movement = {"location": "WH1", "sku": "A", "movement": "received", "quantity": 5}
    before = recorded(dom)
    refused = located.post(
        "/stock/movements", json=movement | {"reference": "R1", "reason": "dock 3\x00"}
    )
    assert_refused(refused, "reason")
    assert recorded(dom) == before
    accepted = located.post(
        "/stock/movements", json=movement | {"reference": "R2", "reason": "dock 3\nbox 4\tok"}
    )
    assert accepted.status_code == 200 and accepted.json()["on_hand"] == 5


def test_a_hold_reason_may_have_lines(client: TestClient):
    order_id = client.post("/orders", json=an_order_payload()).json()["order_id"]
    held = client.post(f"/orders/{order_id}/hold", json={"reason": "check address\nthen call"})
    assert held.status_code == 200 and held.json()["holds"] == ["check address\nthen call"]
    assert_refused(client.post(f"/orders/{order_id}/hold", json={"reason": "x\x00"}), "reason")


# --- moments ------------------------------------------------------------------------


def test_placed_at_out_of_range_is_refused_and_a_valid_order_beside_it_is_placed(
    client: TestClient, dom: Container
):
    bad = an_order_payload(placed_at="0001-01-01T00:00:00+01:00")
    good = an_order_payload()
    with ThreadPoolExecutor(2) as pool:
        refused, placed = pool.map(lambda body: client.post("/orders", json=body), [bad, good])
    assert_refused(refused, "placed_at")
    assert placed.status_code == 201, placed.text
    listed = client.get("/orders").json()["items"]
    assert [item["channel_order_id"] for item in listed] == [good["channel_order_id"]]


@pytest.mark.parametrize(
    "placed_at",
    ["0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00"],
)
def test_every_moment_out_of_range_is_refused(client: TestClient, dom: Container, placed_at: str):
    assert_refused(client.post("/orders", json=an_order_payload(placed_at=placed_at)), "placed_at")
    assert recorded(dom) == (0, 0)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("placed_from", "0001-01-01T00:00:00+01:00"), ("placed_to", "9999-12-31T23:59:59-01:00")],
)
def test_query_moments_out_of_range_are_refused(client: TestClient, parameter: str, value: str):
    assert_refused(client.get("/orders", params={parameter: value}), parameter)


@pytest.mark.parametrize("counted_at", ["1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"])
def test_counts_out_of_range_are_refused(located: TestClient, dom: Container, counted_at: str):
    before = recorded(dom)
    count = {"location": "WH1", "sku": "A", "quantity": 5, "counted_at": counted_at}
    assert_refused(located.post("/stock/counts", json={"counts": [count]}), "counts.0.counted_at")
    assert recorded(dom) == before


def test_two_counts_of_one_sku_at_one_location_and_moment_are_refused(
    located: TestClient, dom: Container
):
    """The second would be ignored as not newer: the sender is told, and nothing is counted."""
    before = recorded(dom)
    first = {"location": "WH1", "sku": "A", "quantity": 5, "counted_at": "2026-11-26T10:00:00Z"}
    second = first | {"quantity": 7, "counted_at": "2026-11-26T11:00:00+01:00"}  # the same moment
    answer = located.post("/stock/counts", json={"counts": [first, second]})
    assert_refused(answer, "counts.1", "counts A at WH1 at the same moment as counts.0")
    assert recorded(dom) == before


# --- numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_coordinate_must_be_a_finite_number(client: TestClient, dom: Container, number: str):
    payload = json.dumps(an_order_payload()).replace("51.2", number)
    assert_refused(post_json(client, "/orders", payload), "shipping_address.latitude")
    location = json.dumps(a_location_body()).replace("4.4", number)
    answer = client.put(
        "/locations/WH1", content=location.encode(), headers={"content-type": "application/json"}
    )
    assert_refused(answer, "longitude")
    assert recorded(dom) == (0, 0)


TRUE_LINE = {"line_id": "1", "sku": "A", "quantity": True, "unit_price": "10.00"}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/orders", an_order_payload(priority=True), "priority"),
        ("/orders", an_order_payload() | {"lines": [TRUE_LINE]}, "lines.0.quantity"),
        ("/locations/WH1", a_location_body(daily_capacity=True), "daily_capacity"),
        ("/locations/WH1", a_location_body(latitude=True), "latitude"),
        ("/locations/WH1", a_location_body(priority="5"), "priority"),
        ("/locations/WH1", a_location_body(daily_capacity=10**30), "daily_capacity"),
    ],
)
def test_booleans_and_text_are_not_numbers(
    client: TestClient, dom: Container, url: str, body: Payload, field: str
):
    method = client.post if url == "/orders" else client.put
    assert_refused(method(url, json=body), field)
    assert recorded(dom) == (0, 0)


def test_iso_codes_follow_one_rule_upper_case_as_published(client: TestClient, dom: Container):
    """`eur` was refused while `be` was taken (and routing rules refused `be`): every ISO
    code, in orders, locations and rules alike, is written in upper case, as the published
    lists write it, and a lower-case one is refused naming the code to write."""
    order = an_order_payload()
    order["currency"] = "eur"
    assert_refused(client.post("/orders", json=order), "currency",
                   "an ISO code is written in upper case: EUR")  # fmt: skip
    order = an_order_payload()
    order["shipping_address"]["country"] = "be"
    assert_refused(client.post("/orders", json=order), "shipping_address.country",
                   "an ISO code is written in upper case: BE")  # fmt: skip
    assert_refused(client.put("/locations/WH1", json=a_location_body(country="be")), "country",
                   "an ISO code is written in upper case: BE")  # fmt: skip
    assert recorded(dom) == (0, 0)
    assert client.post("/orders", json=an_order_payload()).status_code == 201


# --- undeclared query parameters and bodies -----------------------------------------


def every_route(client: TestClient) -> list[tuple[str, str, APIRoute]]:
    """(method, a URL that matches the route, route) for every operation of the app."""
    app: FastAPI = client.app  # type: ignore[assignment]
    return [
        (method, re.sub(r"\{[^}]+\}", "x1", str(context.path)), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
    ]


def test_every_route_refuses_an_unknown_query_parameter(client: TestClient, dom: Container):
    before = recorded(dom)
    routes = every_route(client)
    assert len(routes) >= 15
    for method, url, _ in routes:
        answer = client.request(method, f"{url}?surprise=1")
        assert answer.status_code == 422, (method, url, answer.text)
        assert answer.json()["fields"] == [{"field": "surprise", "message": "unknown field"}]
    assert recorded(dom) == before


def test_a_query_parameter_given_twice_is_refused_not_the_last_taken(client: TestClient):
    """`?status=released&status=held` used to answer the held orders (the last value won)."""
    for url in ["/orders?status=released&status=held", "/orders?limit=5&limit=6"]:
        answer = client.get(url)
        assert answer.status_code == 422, answer.text
        name = url.split("?")[1].split("=")[0]
        message = "given more than once; this parameter takes one value"
        assert answer.json()["fields"] == [{"field": name, "message": message}]
    assert client.get("/orders?status=held&limit=5").status_code == 200


def test_every_route_without_a_body_refuses_one(client: TestClient, dom: Container):
    before = recorded(dom)
    bodiless = [(method, url) for method, url, route in every_route(client) if not route.body_field]
    assert ("POST", "/orders/x1/release") in bodiless
    for method, url in bodiless:
        for body in [b"not json", b'{"reason": "x"}', b"null", b"[]"]:
            answer = client.request(method, url, content=body)
            assert answer.status_code == 422, (method, url, body, answer.text)
            assert answer.json()["fields"] == [
                {"field": "body", "message": "this operation takes no body"}
            ]
    assert recorded(dom) == before


def test_release_refuses_a_body_and_records_nothing_but_takes_an_empty_object(
    client: TestClient, dom: Container
):
    order_id = client.post("/orders", json=an_order_payload()).json()["order_id"]
    client.post(f"/orders/{order_id}/hold", json={"reason": "fraud check"})
    before = recorded(dom)
    assert_refused(
        client.post(f"/orders/{order_id}/release", content=b"not json"),
        "body",
        "this operation takes no body",
    )
    assert_refused(client.post(f"/orders/{order_id}/release", json={"force": True}), "body")
    assert recorded(dom) == before
    assert client.get(f"/orders/{order_id}").json()["status"] == "held"
    released = client.post(f"/orders/{order_id}/release", json={})
    assert released.status_code == 200 and released.json()["status"] == "released"


@pytest.mark.parametrize(
    "url",
    [
        "/exceptions?limit=5",
        "/inventory/SKU-1?location=WH1",
        "/routing-policies/default?version=1",
        "/orders/00000000-0000-0000-0000-000000000001?expand=lines",
        "/orders/00000000-0000-0000-0000-000000000001/routing?all=1",
    ],
)
def test_the_routes_that_accepted_anything_refuse_unknown_parameters(client: TestClient, url: str):
    unknown = url.partition("?")[2].partition("=")[0]
    assert_refused(client.get(url), unknown, "unknown field")
