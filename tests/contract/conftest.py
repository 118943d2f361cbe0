"""Contract tests: schemathesis drives the app through its own OpenAPI document.

Every operation is called with data generated from the document (examples,
boundaries and fuzzing; valid and invalid), and each answer is checked
against it: status documented, body and headers as described, valid data
accepted, invalid data refused, never a server error; a stateful run follows
the document's links (an order placed, then held, released, cancelled...).
The app runs in process, with its lifespan, around a container on a store
seeded with a location, stock, an active routing policy and an order, so
that operations get past "not found".

Bounded and reproducible: a fixed seed, derandomised generation, at most
MAX_EXAMPLES fuzzed cases per operation, no example database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.stateful import Bundle, initialize
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.python import asgi

from adapters.settings import Settings
from api.bootstrap import bootstrap
from api.http.app import create_app
from tests.access_builders import FIXED_ADMIN_TOKEN, bearer, the_fixed_admin_token
from tests.builders import an_order_payload
from tests.conftest import reset_postgres, settings_for
from tests.stock_builders import a_location_body

BASE_URL = f"http://{asgi.HOST}"
# Fixed, so that CI runs the same cases every time; set another to explore further.
SEED = int(os.environ.get("DOM_CONTRACT_SEED", "20261126"))
MAX_EXAMPLES = 25
STATEFUL_STEPS = 8
# A check left out, for one operation only, with why: valid data in the document's sense that
# the app may still refuse, by a rule across fields that no schema can state...
LEFT_OUT: list[tuple[str, str, str, str]] = [
    ("POST", "/orders", "positive_data_acceptance",
     "total must equal the lines + shipping - discount (in the currency's minor units), "
     "and placed_at must not be in the future"),
    ("POST", "/routing-policies/{name}/versions", "positive_data_acceptance",
     "a condition's min_value must not exceed its max_value, and bands_km must increase"),
    ("POST", "/stock/counts", "positive_data_acceptance",
     "counted_at must not be in the future"),
    ("PUT", "/carriers/{code}", "positive_data_acceptance",
     "a service's zones must be the carrier's, weight bands must increase, prices must have "
     "no more decimals than the currency, a destination may be in one zone only, and the "
     "builtin adapter needs a tracking_prefix"),
    ("GET", "/otif", "positive_data_acceptance",
     "from must not be after to, and the range is at most 366 days"),
    ("PUT", "/channels/{code}", "positive_data_acceptance",
     "the default service level must be one of the channel's service levels"),
    ("POST", "/keys", "positive_data_acceptance",
     "the owner's form depends on the kind (a channel's code, a location's code, a name), "
     "and the scopes must be the kind's"),
    ("PUT", "/locations/{code}", "positive_data_acceptance",
     "a location needs a point: latitude and longitude together, or an address.city that the "
     "gazetteer finds in its country"),
]  # fmt: skip


def contract_schema(coverage: bool = True) -> Any:
    """The app's own document, with every check but LEFT_OUT; `coverage`: with schemathesis'
    coverage phase (the boundaries of every keyword).

    The document is generated from an app without a container (it needs none), so that it
    is loaded when the tests are collected and the calls go to the app of a fixture.
    (schemathesis.pytest.from_fixture would load it from a fixture, but it sets the pytest
    item's `_nodeid`, which pytest 9.2 no longer has.)
    """
    config = {
        "seed": SEED,
        # Every store the tests make holds the same admin key (tests/access_builders.py).
        "headers": {"Authorization": f"Bearer {FIXED_ADMIN_TOKEN}"},
        # Its probes (the call again without the key, and with a made-up one) leave the
        # in-process client for a new HTTP session to a host that does not exist; what it
        # checks, tests/e2e/test_http_auth.py does for every route of the app.
        "checks": {"ignored_auth": {"enabled": False}},
        "base-url": BASE_URL,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "coverage": {"enabled": coverage},
            # The document's own links only (api/http/openapi.py): those schemathesis infers
            # from names join unrelated things here (an order's line id to a reservation).
            "stateful": {"max-steps": STATEFUL_STEPS, "inference": {"algorithms": []}},
        },
        "operations": [
            {"include-method": method, "include-path": path, "checks": {check: {"enabled": False}}}
            for method, path, check, _ in LEFT_OUT
        ],
    }
    document = create_app().openapi()
    return schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(config))


@pytest.fixture(scope="module")
def sqlite_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[asgi.ASGIClient]:
    with running(settings_for("sqlite", tmp_path_factory.mktemp("contract"))) as client:
        yield client


@pytest.fixture(scope="module")
def postgres_api(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[asgi.ASGIClient]:
    reset_postgres(postgres_url)
    with running(settings_for("postgres", tmp_path_factory.mktemp("pg"), postgres_url)) as client:
        yield client


@contextmanager
def running(settings: Settings) -> Iterator[asgi.ASGIClient]:
    """A session into the app around a new container, seeded; in process, with its lifespan
    run by schemathesis' ASGI client (as the calls made through it expect), and ended before
    the container is closed."""
    dom = bootstrap(settings)
    try:
        the_fixed_admin_token(dom)
        with asgi.get_client(create_app(dom)) as client:
            given_a_network(client)
            yield client
    finally:
        asgi.shutdown_lifespans()
        dom.close()


def scenarios(schema: Any, new_store: Callable[[], Settings]) -> Any:
    """The stateful phase: sequences of calls that follow the document's links.

    Each scenario runs on a new store seeded alike, so that it replays the same way:
    hypothesis replays a failing scenario to make it smaller, and a store changed by earlier
    scenarios would answer otherwise (it would call that flaky). Each starts by placing an
    order, since a generated one would almost never add up (LEFT_OUT) and schemathesis does not
    start scenarios from POST /orders by itself (it takes its lines and address for resources
    that something else must create first).
    """
    placing = schema["/orders"]["POST"]

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.stack = ExitStack()
            self.client = self.stack.enter_context(running(new_store()))

        def teardown(self) -> None:
            self.stack.close()

        @initialize(target=Bundle("placed"))  # schemathesis files each answer by its status
        def place_an_order(self) -> StepOutput:
            case = placing.Case(body=an_order_payload())
            self.recorder.record_case(case=case)  # as its own steps do: links start from it
            return self.step(StepInput.initial(case))

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": self.client}

    return Scenario


STATEFUL_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STATEFUL_STEPS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)


def given_a_network(client: asgi.ASGIClient) -> None:
    """A location with stock, an active routing policy, and an order sourced from it."""
    headers = bearer(FIXED_ADMIN_TOKEN)
    answers = [
        client.put("/locations/WH1", json=a_location_body(), headers=headers),
        client.post("/stock/counts", headers=headers, json={"counts": [
            {"location": "WH1", "sku": "SKU-1", "quantity": 50,
             "counted_at": "2026-11-26T08:00:00Z"}]}),
        client.post("/routing-policies/default/versions", headers=headers, json={"rules": {"strategies": [
            {"name": "any", "criteria": [{"kind": "stock", "mode": "line"}],
             "fallback": "backorder"}]}}),
        client.post("/routing-policies/default/versions/1/activate", headers=headers),
        client.post("/orders", json=an_order_payload(), headers=headers),
    ]  # fmt: skip
    for answer in answers:
        assert answer.ok, f"{answer.request.method} {answer.request.url}: {answer.text}"
