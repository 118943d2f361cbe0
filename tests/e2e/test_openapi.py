"""The OpenAPI document describes the errors dom really answers: their shape and statuses."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.http.auth import PUBLIC
from api.http.openapi import NEVER_NOT_FOUND

ERROR = {"$ref": "#/components/schemas/Error"}
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def expected_statuses(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    expected = {"422", "500", "503"}
    if (method, path) not in PUBLIC:
        expected |= {"401", "403"}
    if "requestBody" in operation:
        expected |= {"400", "413"}
    if method != "GET":
        expected.add("409")
    if "{" in path and (method, path) not in NEVER_NOT_FOUND:
        expected.add("404")
    return expected


def test_every_operation_lists_every_error_it_can_answer_with_the_error_schema(
    document: dict[str, Any],
):
    assert len(operations(document)) > 15
    for method, path, operation in operations(document):
        responses = operation["responses"]
        missing = expected_statuses(method, path, operation) - set(responses)
        assert not missing, f"{method} {path} does not list {missing}"
        for status, response in responses.items():
            assert "X-Request-Id" in response["headers"], f"{method} {path} {status}"
            if status.startswith(("4", "5")) and (path, status) != ("/ready", "503"):
                assert response["content"]["application/json"]["schema"] == ERROR, (
                    f"{method} {path} {status}"
                )
        assert "Retry-After" in responses["503"]["headers"]


def test_the_error_schema_is_the_real_shape_and_fastapis_own_is_gone(document: dict[str, Any]):
    schemas = document["components"]["schemas"]
    error = schemas["Error"]
    assert set(error["required"]) == {"error", "detail", "fields"}
    assert set(error["properties"]) == {"error", "detail", "fields", "request_id"}
    assert schemas["FieldProblem"]["required"] == ["field", "message"]
    text = orjson.dumps(document).decode()
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text


def test_the_documented_shape_is_what_errors_look_like(client: TestClient, document: dict):
    error = document["components"]["schemas"]["Error"]
    answers = [
        client.get("/orders/nope"),  # 422
        client.get("/orders/00000000-0000-0000-0000-000000000000"),  # 404
        client.post("/orders", content=b"{", headers={"content-type": "application/json"}),
    ]
    for answer in answers:
        body = answer.json()
        assert set(error["required"]) <= set(body) <= set(error["properties"]), body
        for problem in body["fields"]:
            assert set(problem) == {"field", "message"}


def test_operations_said_never_to_404_do_not(client: TestClient):
    """The exceptions to "a path parameter can be unknown" are true: they create or list."""
    assert client.get("/inventory/NO-SUCH-SKU").status_code == 200
    assert {(m, p) for m, p in NEVER_NOT_FOUND} >= {("GET", "/inventory/{sku}")}
