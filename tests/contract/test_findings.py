"""What the contract run found, each pinned down without schemathesis: the document said one
thing and the app did another. Statuses the document did not list, text and numbers it
called valid that the app refused (or the reverse), a 405 that hid methods."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import pycountry
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.bootstrap import bootstrap
from api.http.app import create_app
from api.http.schemas import HoldIn, PlaceOrderIn
from api.http.schemas_stock import LocationIn, ReservationIn
from api.http.strictness import Moment, StrictQuery
from domain.fulfilment.location import WEEKDAYS
from domain.money import MINOR_UNITS
from domain.orders.placement import EMAIL_PATTERN
from tests.access_builders import admin_headers
from tests.builders import an_order_payload
from tests.conftest import settings_for
from tests.stock_builders import a_location_body

DOCUMENT = create_app().openapi()
SCHEMAS = DOCUMENT["components"]["schemas"]
# Blanks (stripped), controls (refused), line breaks, a surrogate pair's character, plain text.
TRICKY = st.text(
    st.sampled_from(["a", "Z", "é", " ", "\t", "\n", "\r", "\x00", "\x07", "\x1c", "\x85",
                     "\x9f", "\xa0", "\u2028", "\u3000", "/", "@", ".", "\U0001f600"]),
    max_size=8,
)  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    dom = bootstrap(settings_for("sqlite", tmp_path))
    with TestClient(create_app(dom), headers=admin_headers(dom)) as test_client:
        yield test_client
    dom.close()


def responses(method: str, path: str) -> dict[str, Any]:
    return DOCUMENT["paths"][path][method.lower()]["responses"]


def pattern_of(model: str, field: str) -> re.Pattern[str]:
    node = SCHEMAS[model]["properties"][field]
    node = next((option for option in node.get("anyOf", []) if "pattern" in option), node)
    return re.compile(node["pattern"])


def takes(model: Any, base: dict[str, Any], field: str, value: Any) -> bool:
    try:
        model.model_validate(base | {field: value})
    except ValidationError:
        return False
    return True


# --- statuses --------------------------------------------------------------------------


def test_a_405_names_every_method_the_path_takes(client: TestClient):
    """Starlette named only the first route whose path matched: POST for /orders."""
    answer = client.options("/orders")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert client.delete("/locations/WH1").headers["allow"] == "PATCH, PUT"


def test_drafting_the_same_rules_again_answers_a_documented_200(client: TestClient):
    rules = {"rules": {"strategies": [{"name": "s", "criteria": [{"kind": "distance"}]}]}}
    assert client.post("/routing-policies/p/versions", json=rules).status_code == 201
    assert client.post("/routing-policies/p/versions", json=rules).status_code == 200
    assert "200" in responses("POST", "/routing-policies/{name}/versions")


def test_releasing_stock_never_counted_answers_a_documented_404(client: TestClient):
    body = {"location": "WH9", "sku": "NONE", "order_id": "o-1"}
    answer = client.post("/stock/reservations/release", json=body)
    assert answer.status_code == 404, answer.text
    assert "404" in responses("POST", "/stock/reservations/release")


# --- numbers and moments ---------------------------------------------------------------


def test_a_whole_number_written_with_a_fraction_is_that_integer(client: TestClient):
    """JSON Schema calls 50437.0 an integer; strict pydantic refused it."""
    answer = client.put("/locations/WH1", json=a_location_body(priority=50437.0))
    assert answer.status_code == 201, answer.text
    assert answer.json()["priority"] == 50437
    for loose in (2.5, True, "3"):
        assert client.put("/locations/WH2", json=a_location_body(priority=loose)).status_code == 422


def test_a_moment_is_an_rfc3339_date_time_in_range(client: TestClient):
    """A number was taken as a Unix time, in a body and in a query, though the document
    says date-time; and the range is now in the published pattern."""
    client.put("/locations/WH1", json=a_location_body())
    count = {"location": "WH1", "sku": "A", "quantity": 1, "counted_at": 0}
    assert client.post("/stock/counts", json={"counts": [count]}).status_code == 422
    assert client.get("/orders", params={"placed_to": "0.5"}).status_code == 422
    assert client.get("/orders", params={"placed_to": "1970-01-01T12:00:00Z"}).status_code == 422
    assert client.get("/orders", params={"placed_to": "1970-01-02T00:00:00+23:59"}).is_success


class _When(StrictQuery):
    at: Moment


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(),
    offset=st.sampled_from(["Z", "+23:59", "-23:59", "+01:00", ".5Z"]),
)
def test_the_published_moment_pattern_is_what_the_edge_takes(moment: Any, offset: str):
    written = moment.replace(microsecond=0).isoformat() + offset
    pattern = re.compile(SCHEMAS["CountIn"]["properties"]["counted_at"]["pattern"])
    assert bool(pattern.fullmatch(written)) == takes(_When, {}, "at", written), written


# --- text --------------------------------------------------------------------------------

ORDER = an_order_payload()
LOCATION = a_location_body()
RESERVATION = {"location": "WH1", "sku": "A", "order_id": "o-1", "lines": {"1": 1}}


@settings(max_examples=400, deadline=None)
@given(value=TRICKY)
def test_each_published_text_pattern_is_what_its_field_takes(value: str):
    """The document called any string valid; the edge strips blanks and refuses control
    characters (line breaks too, outside free text) and lengths counted after stripping."""
    cases = [
        (HoldIn, {"reason": "r"}, "HoldIn", "reason"),  # multi-line, 1 to 500
        (LocationIn, LOCATION, "LocationIn", "name"),  # single-line, 1 to 200
        (ReservationIn, RESERVATION, "ReservationIn", "order_id"),  # and no "/"
    ]
    for model, base, name, field in cases:
        assert bool(pattern_of(name, field).fullmatch(value)) == takes(model, base, field, value)
    keys = re.compile(SCHEMAS["LocationIn"]["properties"]["address"]["propertyNames"]["pattern"])
    assert bool(keys.fullmatch(value)) == takes(LocationIn, LOCATION, "address", {value: "x"})


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_an_email_the_document_calls_valid_is_one_the_domain_takes(data: st.DataObject):
    published = SCHEMAS["CustomerIn"]["properties"]["email"].get("pattern", ".*")
    value = data.draw(st.from_regex(published, fullmatch=True))
    assert EMAIL_PATTERN.fullmatch(value.strip())
    assert takes(PlaceOrderIn, ORDER, "customer", ORDER["customer"] | {"email": value})


def test_an_email_the_domain_refuses_is_invalid_in_the_document():
    pattern = re.compile(SCHEMAS["CustomerIn"]["properties"]["email"]["pattern"])
    for refused in ("000", "a@b", "a b@c.d", "@b.c", "a@b.\x07"):
        assert not pattern.fullmatch(refused)


def test_every_text_a_request_may_carry_has_a_published_rule():
    """A pattern, a list or a format for every string of every body and parameter."""
    loose = [where for where, node in _strings_of_requests() if not _has_rule(node)]
    assert loose == []


def test_text_in_a_query_is_refused_as_the_document_says(client: TestClient):
    parameters = DOCUMENT["paths"]["/locations"]["get"]["parameters"]
    [channel] = [p["schema"]["anyOf"][0] for p in parameters if p["name"] == "channel"]
    assert not re.fullmatch(channel["pattern"], "\x07web")
    assert client.get("/locations", params={"channel": "\x07web"}).status_code == 422
    assert re.fullmatch(channel["pattern"], " web ")
    assert client.get("/locations", params={"channel": " web "}).status_code == 200


def test_codes_the_edge_checks_are_listed():
    """Any two letters, any 64 characters or any three capitals were valid in the document."""
    location, address = SCHEMAS["LocationIn"]["properties"], SCHEMAS["AddressIn"]["properties"]
    assert location["time_zone"]["enum"] == sorted(available_timezones())
    assert location["working_days"]["items"]["enum"] == list(WEEKDAYS)
    assert address["country"]["enum"] == sorted(c.alpha_2 for c in pycountry.countries)
    assert SCHEMAS["PlaceOrderIn"]["properties"]["currency"]["enum"] == sorted(MINOR_UNITS)


def _strings_of_requests() -> Iterator[tuple[str, dict[str, Any]]]:
    pending: list[tuple[str, Any]] = []
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            pending += [
                (f"{method} {path} {p['name']}", p["schema"])
                for p in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            pending.append((f"{method} {path} body", body.get("schema", {})))
    seen: set[str] = set()
    while pending:
        where, node = pending.pop()
        if isinstance(node, list):
            pending += [(f"{where}.{n}", inner) for n, inner in enumerate(node)]
        elif isinstance(node, dict):
            if node.get("type") == "string":
                yield where, node
            ref = node.get("$ref", "")
            if ref and ref not in seen:
                seen.add(ref)
                pending.append((ref, SCHEMAS[ref.rsplit("/", 1)[1]]))
            pending += [(f"{where}.{key}", inner) for key, inner in node.items() if key != "$ref"]


def _has_rule(node: dict[str, Any]) -> bool:
    return bool({"pattern", "enum", "format", "const"} & node.keys())


# --- links -------------------------------------------------------------------------------


def test_an_order_placed_links_to_what_can_be_done_with_it(client: TestClient):
    links = responses("POST", "/orders")["201"]["links"]
    detail = links["get_orders_order_id"]
    assert detail["operationRef"] == "#/paths/~1orders~1{order_id}/get"
    assert detail["parameters"] == {"order_id": "$response.body#/order_id"}
    placed = client.post("/orders", json=an_order_payload())
    assert client.get(f"/orders/{placed.json()['order_id']}").status_code == 200
    commands = {"hold", "release", "cancel"}
    assert {f"post_orders_order_id_{command}" for command in commands} <= links.keys()
