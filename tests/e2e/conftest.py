"""End-to-end fixtures: a container on each durable store, and an HTTP client around it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.http.app import create_app


@pytest.fixture
def dom(durable_store: Settings) -> Iterator[Container]:
    container = bootstrap(durable_store)
    yield container
    container.close()


@pytest.fixture
def client(dom: Container) -> Iterator[TestClient]:
    with TestClient(create_app(dom)) as test_client:
        yield test_client
