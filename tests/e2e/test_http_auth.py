"""Every route needs a key with a scope (api/http/auth.py), but the few public ones; keys
are checked from a cache that a revocation in this process empties at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.auth import PUBLIC, Scope
from api.http.dependencies import get_now
from tests.access_builders import NOW, a_token, bearer

ANY_ID = "00000000-0000-0000-0000-000000000001"


class Clock:
    """The time requests see (api/http/dependencies.get_now), moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    async def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(dom: Container, clock: Clock) -> FastAPI:
    app = create_app(dom)
    app.dependency_overrides[get_now] = clock
    return app


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if method != "HEAD"
    )


def test_every_route_but_the_public_ones_answers_401_without_a_key(
    anonymous: TestClient, app: FastAPI
):
    """Fails for a route added without a Scope: it would answer something else."""
    routes = every_route(app)
    assert len(routes) > 50 and set(routes) >= PUBLIC, PUBLIC - set(routes)
    for method, path in routes:
        answer = anonymous.request(method, _filled(path))
        challenged = answer.headers.get("www-authenticate", "")
        if (method, path) in PUBLIC:
            assert not challenged.startswith("Bearer"), f"{method} {path} is public"
            continue
        assert answer.status_code == 401, f"{method} {path}: {answer.status_code} {answer.text}"
        assert challenged == "Bearer", f"{method} {path}"
        assert answer.json()["error"] == "unauthorized"


def _filled(path: str) -> str:
    parts = [ANY_ID if part.startswith("{") else part for part in path.split("/")]
    return "/".join(parts)


def test_the_public_routes_answer_without_a_key(anonymous: TestClient):
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/ready").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200
    webhook = anonymous.post("/carriers/bpost/tracking", json={"updates": []})
    assert webhook.status_code == 401 and "www-authenticate" not in webhook.headers  # signed


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "bearer dom_x_y",
     f"Bearer dom_{'0' * 32}_{'s' * 43}"],
)  # fmt: skip
def test_missing_malformed_or_unknown_credentials_are_401_with_a_challenge(
    anonymous: TestClient, authorization: str | None
):
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = anonymous.get("/orders", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["error"] == "unauthorized" and answer.json()["detail"]


def test_a_wrong_secret_for_a_real_key_is_401(anonymous: TestClient, dom: Container):
    token = a_token(dom)
    wrong = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    answer = anonymous.get("/orders", headers=bearer(wrong))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200


def test_a_key_without_the_routes_scope_is_403(anonymous: TestClient, dom: Container):
    reader = bearer(a_token(dom, "channel", "webshop", ["orders:read"]))
    assert anonymous.get("/orders", headers=reader).status_code == 200
    refused = anonymous.post(f"/orders/{ANY_ID}/hold", json={"reason": "x"}, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden" and "operations" in refused.json()["detail"]
    location = bearer(a_token(dom, "location", "WH1"))
    assert anonymous.get("/orders", headers=location).status_code == 403
    assert anonymous.get("/locations/WH1/shipments", headers=location).status_code == 404
    staff = bearer(a_token(dom, "staff", "Ann"))
    assert anonymous.get("/locations/WH1/shipments", headers=staff).status_code == 404
    assert anonymous.get("/keys", headers=staff).status_code == 403


def test_a_revoked_key_is_401(anonymous: TestClient, dom: Container):
    token = a_token(dom)
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200
    key_id = token.split("_")[1]
    admin = bearer(a_token(dom))
    assert anonymous.post(f"/keys/{key_id}/revoke", json={}, headers=admin).status_code == 200
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 401


def test_a_rotated_secret_is_taken_within_the_grace_and_refused_after(
    anonymous: TestClient, dom: Container, clock: Clock
):
    old = a_token(dom)
    key_id = old.split("_")[1]
    rotated = anonymous.post(f"/keys/{key_id}/rotate", json={"grace_hours": 2}, headers=bearer(old))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    clock.now = NOW + timedelta(hours=1, minutes=59)
    assert anonymous.get("/orders", headers=bearer(old)).status_code == 200
    clock.now = NOW + timedelta(hours=2)
    assert anonymous.get("/orders", headers=bearer(old)).status_code == 401  # cached, expired
    assert anonymous.get("/orders", headers=bearer(new)).status_code == 200


def test_a_revocation_in_this_process_empties_the_cache_at_once(
    anonymous: TestClient, dom: Container
):
    token = a_token(dom)
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200
    looked_up = dom.keyring.lookups
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200
    assert dom.keyring.lookups == looked_up  # the second request was answered from the cache
    dom.access.revoke_key(dom.access.api_keys()[-1].id, "tests", "leaked", NOW)
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 401


def test_a_revocation_by_another_process_bites_when_the_cache_entry_expires(
    anonymous: TestClient, dom: Container, clock: Clock
):
    token = a_token(dom)
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200
    other = bootstrap(dom.settings)  # another process on the same store (`dom keys revoke`)
    try:
        other.access.revoke_key(other.access.api_keys()[-1].id, "cli", "leaked", NOW)
    finally:
        other.close()
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 200  # still cached
    clock.now = NOW + timedelta(seconds=dom.settings.key_cache_seconds)
    assert anonymous.get("/orders", headers=bearer(token)).status_code == 401


def test_the_principal_is_on_the_request_for_routes_and_middleware(app: FastAPI, dom: Container):
    seen: dict[str, Any] = {}

    def who(request: Request) -> dict[str, str]:
        seen["principal"] = request.state.principal
        return {}

    app.add_api_route("/who", who, dependencies=[Scope("orders:read")])
    token = a_token(dom, "channel", "webshop")
    with TestClient(app) as client:
        assert client.get("/who", headers=bearer(token)).status_code == 200
    principal = seen["principal"]
    assert principal.key_id == token.split("_")[1]
    assert (principal.kind, principal.owner) == ("channel", "webshop")


def test_the_document_shows_the_scheme_and_each_operations_scopes(anonymous: TestClient):
    document = anonymous.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (method.upper(), path) in PUBLIC:
                assert "security" not in operation, f"{method} {path}"
                continue
            assert operation["security"], f"{method} {path}"
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
            assert "Needs an API key with the scope" in operation["description"]
    cancel = document["paths"]["/orders/{order_id}/cancel"]["post"]
    assert cancel["security"] == [{"ApiKey": ["orders:write"]}, {"ApiKey": ["operations"]}]
