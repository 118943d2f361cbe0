"""The OpenAPI document tells the truth about errors: their shape and when each comes.

FastAPI documents its own validation error shape (`HTTPValidationError`) and
only 422; dom answers every error as `Error` (see api/http/errors.py) and can
answer more. The statuses are derived here, in one place, from what each
route is, so a new route gets them without saying anything:

- every operation with a scope: 401, 403 and 429 (over the key's rate);
- every operation: 422 (a parameter, or an unknown one, is invalid), 500
  (an unexpected fault, with a request id) and 503 (a store is away, busy or
  full, with Retry-After);
- with a JSON body: 400 (not JSON) and 413 (over DOM_MAX_BODY_BYTES);
- commands (any method but GET): 409 (an invalid transition, a conflict,
  a concurrent change);
- with path parameters: 404 (nothing has that id), except the operations
  listed in NEVER_NOT_FOUND, which create or list what the path names.

It works on the generated document (the operations, their parameters and
bodies), not on FastAPI's route objects. A route that documents an error
status itself (`responses={...}` with its own model or content) keeps it.

Where a success leads is described here too (OpenAPI links, LINKS): what a
client can do next with the id it got back; the contract tests' stateful
phase follows them.

Parameters are described here too: a text parameter (path or query) that
has no pattern of its own gets the one `strict_route.StrictRoute` applies
to every value (no control characters or line breaks). Bodies say their own
text rules (`strictness.Strict`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.http.patterns import PARAMETER_PATTERN

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMAS: dict[str, Any] = {
    "Error": {
        "title": "Error",
        "type": "object",
        "required": ["error", "detail", "fields"],
        "properties": {
            "error": {
                "type": "string",
                "description": "machine-readable code: validation_error, malformed_json, "
                "not_found, invalid_transition, conflict, body_too_large, store_unavailable, "
                "store_full, internal_error, ...",
            },
            "detail": {"type": "string", "description": "what went wrong, for people"},
            "fields": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FieldProblem"},
                "description": "each input at fault (empty when no single input is)",
            },
            "request_id": {
                "type": "string",
                "description": "5xx only: the X-Request-Id, also in the server's log line",
            },
        },
    },
    "FieldProblem": {
        "title": "FieldProblem",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "dotted path, e.g. lines.0.quantity"},
            "message": {"type": "string"},
        },
    },
}
DESCRIPTIONS = {
    400: "Malformed JSON body",
    401: "No valid API key: missing, malformed, unknown, revoked or rotated out",
    403: "The API key does not hold the operation's scope",
    404: "Not found: nothing has the id in the path",
    409: "Refused: invalid transition, conflict or concurrent change; nothing recorded",
    413: "Body larger than DOM_MAX_BODY_BYTES; not read, and the connection is closed",
    429: "Over the API key's rate (docs/security.md); retry after Retry-After seconds",
    422: "Invalid or unknown parameter or body field; nothing recorded",
    500: "Unexpected fault; the request_id names the log line",
    503: "A store is away, overloaded or full; retry after Retry-After seconds",
}
NEVER_NOT_FOUND = {  # they create or list what the path names: an unknown one is not an error
    ("PUT", "/locations/{code}"),
    ("PUT", "/channels/{code}"),
    ("POST", "/routing-policies/{name}/versions"),
    ("GET", "/inventory/{sku}"),
}
REQUEST_ID_HEADER = {
    "X-Request-Id": {
        "description": "the request's id (the caller's own, if well formed); in the logs too",
        "schema": {"type": "string"},
    }
}
RATE_LIMIT_HEADERS = {
    name: {"description": description, "schema": {"type": "integer"}}
    for name, description in (
        ("RateLimit-Limit", "requests a key may send in a burst"),
        ("RateLimit-Remaining", "requests left in the burst (0)"),
        ("RateLimit-Reset", "seconds until the burst is whole again"),
    )
}
CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": "`Bearer`: how to authenticate",
        "schema": {"type": "string"},
    }
}
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}


_ORDER = {"order_id": "$response.body#/order_id"}
_SAME_ORDER = {"order_id": "$request.path.order_id"}
_VERSION = {"name": "$request.path.name", "version": "$response.body#/version"}
_ORDER_COMMANDS = (
    "/orders/{order_id}/hold",
    "/orders/{order_id}/release",
    "/orders/{order_id}/cancel",
)
# (method, path) of an operation -> what its success answers lead to: (method, path, parameters).
LINKS: dict[tuple[str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("POST", "/orders"): [
        ("GET", "/orders/{order_id}", _ORDER),
        ("GET", "/orders/{order_id}/routing", _ORDER),
        *[("POST", path, _ORDER) for path in _ORDER_COMMANDS],
    ],
    **{
        ("POST", command): [("GET", "/orders/{order_id}", _SAME_ORDER)]
        + [("POST", path, _SAME_ORDER) for path in _ORDER_COMMANDS if path != command]
        for command in _ORDER_COMMANDS
    },
    ("POST", "/routing-policies/{name}/versions"): [
        ("POST", "/routing-policies/{name}/versions/{version}/activate", _VERSION),
        ("POST", "/routing-policies/{name}/versions/{version}/retire", _VERSION),
        ("GET", "/routing-policies/{name}", {"name": "$request.path.name"}),
    ],
}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` (and /openapi.json, /docs) describe dom's errors."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    described: list[int] = []  # id of the last document described (FastAPI caches it)

    def openapi() -> dict[str, Any]:
        schema = generate()
        if described != [id(schema)]:
            describe_security(schema)
            describe_errors(schema)
            describe_parameters(schema)
            describe_links(schema)
            described[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point


def describe_errors(schema: dict[str, Any]) -> None:
    """Rewrite the error answers of every operation of a generated document, in place."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(ERROR_SCHEMAS)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method.upper() in METHODS:
                _describe(operation, method.upper(), path)


def describe_security(schema: dict[str, Any]) -> None:
    """An operation's scopes are alternatives (a key holding any one will do): one security
    requirement each, as OpenAPI writes "or"; and a line of its description says so."""
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() not in METHODS or not operation.get("security"):
                continue
            pairs = [(name, scope) for requirement in operation["security"]
                     for name, scopes in requirement.items() for scope in scopes]  # fmt: skip
            operation["security"] = [{name: [scope]} for name, scope in pairs]
            named = " or ".join(f"`{scope}`" for _, scope in pairs)
            line = f"Needs an API key with the scope {named} (docs/security.md)."
            operation["description"] = "\n\n".join(
                filter(None, [operation.get("description"), line])
            )


def describe_links(schema: dict[str, Any]) -> None:
    """Add LINKS to every success answer of the operations they start from."""
    paths = schema.get("paths", {})
    for (method, path), targets in LINKS.items():
        links = {
            _link_name(target_method, target_path): {
                "operationRef": "#/paths/"
                + target_path.replace("~", "~0").replace("/", "~1")
                + "/"
                + target_method.lower(),
                "parameters": parameters,
            }
            for target_method, target_path, parameters in targets
            if target_method.lower() in paths.get(target_path, {})
        }
        responses = paths.get(path, {}).get(method.lower(), {}).get("responses", {})
        for status, answer in responses.items():
            if status.startswith("2") and links:
                answer["links"] = links


def _link_name(method: str, path: str) -> str:
    words = [part.strip("{}").replace("-", "_") for part in path.split("/") if part]
    return method.lower() + "_" + "_".join(words)


def describe_parameters(schema: dict[str, Any]) -> None:
    """Give every text parameter without a pattern the one all parameter values must match."""
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() in METHODS:
                for parameter in operation.get("parameters", []):
                    _text_parameter(parameter.get("schema", {}))


def _text_parameter(node: dict[str, Any]) -> None:
    for option in node.get("anyOf", []):
        _text_parameter(option)
    if isinstance(node.get("items"), dict):
        _text_parameter(node["items"])
    if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & node.keys():
        node["pattern"] = PARAMETER_PATTERN


def error_statuses(operation: dict[str, Any], method: str, path: str) -> set[int]:
    statuses = {422, 500, 503}
    if operation.get("security"):
        statuses |= {401, 403, 429}
    if "requestBody" in operation:
        statuses |= {400, 413}
    if method not in ("GET", "HEAD"):
        statuses.add(409)
    in_path = any(p.get("in") == "path" for p in operation.get("parameters", []))
    if in_path and (method, path) not in NEVER_NOT_FOUND:
        statuses.add(404)
    declared = operation.get("responses", {})
    return statuses | {int(s) for s in declared if s.isdigit() and int(s) >= 400}


def _describe(operation: dict[str, Any], method: str, path: str) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(error_statuses(operation, method, path)):
        own = responses.get(str(status), {})
        if _own_schema(own):
            continue  # the route describes this answer itself
        description = own.get("description")
        if not description or description == "Validation Error":  # FastAPI's default 422
            description = DESCRIPTIONS.get(status, "Error")
        answer: dict[str, Any] = {
            "description": description,
            "headers": dict(REQUEST_ID_HEADER),
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        if status == 503:
            answer["headers"] |= RETRY_AFTER_HEADER
        if status == 429:
            answer["headers"] |= RETRY_AFTER_HEADER | RATE_LIMIT_HEADERS
        if status == 401:
            answer["headers"] |= CHALLENGE_HEADER
        responses[str(status)] = answer
    for status, answer in responses.items():
        answer.setdefault("headers", {}).update(REQUEST_ID_HEADER)
        if status == "503":  # whoever describes the body, a 503 says when to come back
            answer["headers"] |= RETRY_AFTER_HEADER


def _own_schema(response: dict[str, Any]) -> bool:
    """A route's own description of an error: a content schema that is not FastAPI's
    placeholder (`{}`) or its default validation error."""
    schemas = [c.get("schema") for c in response.get("content", {}).values()]
    return any(s and s != {"$ref": "#/components/schemas/HTTPValidationError"} for s in schemas)
