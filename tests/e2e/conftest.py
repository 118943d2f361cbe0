"""End-to-end fixtures: a container on each durable store, and an HTTP client around it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.commands import HEADER
from tests.access_builders import admin_headers


@pytest.fixture
def dom(durable_store: Settings) -> Iterator[Container]:
    container = bootstrap(durable_store)
    yield container
    container.close()


def says_how_far_the_read_models_got(response: httpx.Response) -> None:
    """Every successful command answers through the command runner (api/http/commands.py):
    a route that forgot it fails every test that uses it."""
    request = response.request
    if request.method in ("POST", "PUT") and response.is_success:
        assert HEADER in response.headers, f"{request.method} {request.url.path}: no {HEADER}"


@pytest.fixture
def client(dom: Container) -> Iterator[TestClient]:
    """The app around `dom`, every request sent with an admin key (tests of access itself
    send other headers, or none)."""
    with TestClient(create_app(dom), headers=admin_headers(dom)) as test_client:
        test_client.event_hooks = {"request": [], "response": [says_how_far_the_read_models_got]}
        yield test_client
