"""Every error answer in one place: `{"error": code, "detail": text, "fields": [...]}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.http.responses import OrjsonResponse
from domain.errors import (
    Conflict,
    DomainError,
    InsufficientStock,
    InvalidCommand,
    InvalidTransition,
    NotFound,
)
from projections.order_status_queries import BadCursor

STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidTransition: 409,
    InsufficientStock: 409,
    InvalidCommand: 422,
}


def error_body(
    code: str, detail: str, fields: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> OrjsonResponse:
        status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
        fields = None
        if isinstance(error, InvalidCommand):
            fields = [{"field": p.field, "message": p.message} for p in error.problems]
        return OrjsonResponse(error_body(error.code, error.detail, fields), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> OrjsonResponse:
        problems = error.errors()
        if any(problem["type"] == "json_invalid" for problem in problems):
            return OrjsonResponse(error_body("malformed_json", "body is not valid JSON"), 400)
        fields = [_field_problem(problem) for problem in problems]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return OrjsonResponse(error_body("validation_error", detail, fields), 422)

    @app.exception_handler(BadCursor)
    async def bad_cursor(_: Request, error: BadCursor) -> OrjsonResponse:
        fields = [{"field": "cursor", "message": str(error)}]
        return OrjsonResponse(error_body("validation_error", str(error), fields), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> OrjsonResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return OrjsonResponse(error_body(code, str(error.detail)), error.status_code)


def _field_problem(problem: dict[str, Any]) -> dict[str, str]:
    location = [str(part) for part in problem["loc"] if part not in ("body", "query", "path")]
    message = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
    return {"field": ".".join(location) or "body", "message": message}
