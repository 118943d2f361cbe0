"""Every route refuses what it does not declare, before its handler runs.

The models (`strictness.Strict`) see bodies and query models; this covers
what they do not: for each route, query parameters it does not declare,
text that cannot be recorded in any query value or path parameter, and a
body sent to a route that takes none. Each router is built with
`route_class=StrictRoute`, which reads the route's own declaration once, so a
new route is covered the moment it is added (tests/e2e/test_http_edge.py
sends every route of the app what it does not declare).

A route class rather than an app-wide dependency: FastAPI solves
dependencies for each request in Python, and one more on every route made
each request measurably dearer (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.http.keyed_requests import honouring_keys
from domain.text import text_problem

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

NO_BODY = "this operation takes no body"
REPEATED = "given more than once; this parameter takes one value"
_EMPTY_OBJECT = re.compile(rb"\s*(\{\s*\})?\s*")


@dataclass(frozen=True)
class Declared:
    """What a route takes besides its path: query parameter names, and whether a body."""

    query: frozenset[str]
    body: bool
    repeatable: frozenset[str] = frozenset()  # parameters that take a list


class StrictRoute(APIRoute):
    """A FastAPI route whose handler first refuses what the route does not declare."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        declared = declared_by(self)

        async def strict(request: Request) -> Response:
            await refuse_undeclared(request, declared)
            if declared.body:
                await _parse_json(request)
            return await handler(request)

        return honouring_keys(self, strict)  # Idempotency-Key: checked before anything else


async def refuse_undeclared(request: Request, declared: Declared) -> None:
    errors: list[dict[str, Any]] = []
    if request.scope["query_string"]:
        seen: set[str] = set()
        for name, value in request.query_params.multi_items():
            if name not in declared.query:
                errors.append(_error("extra_forbidden", ("query", name), "unknown field", value))
            elif problem := text_problem(value):
                errors.append(_error("text", ("query", name), problem, value))
            elif name in seen and name not in declared.repeatable:
                errors.append(_error("repeated", ("query", name), REPEATED, value))
            seen.add(name)
    for name, value in request.path_params.items():
        if problem := text_problem(str(value)):
            errors.append(_error("text", ("path", name), problem, value))
    if not declared.body and await _has_body(request):
        errors.append(_error("no_body", ("body",), NO_BODY, None))
    if errors:
        raise RequestValidationError(errors)


async def _parse_json(request: Request) -> None:
    """Parse a JSON body with orjson before FastAPI would with the json module (several
    times slower). What orjson refuses (NaN, lone surrogates, huge integers) is left to
    FastAPI's own parse, so every body meets the same checks and the same errors."""
    body = await request.body()
    if body:
        with suppress(orjson.JSONDecodeError):
            request._json = orjson.loads(body)


def declared_by(route: APIRoute) -> Declared:
    names: dict[str, Any] = {}  # name -> annotation
    for alias, annotation in _query_parameters(route):
        model = _model_of(annotation)
        if model is None:
            names[alias] = annotation
        else:  # a query model: its fields are the parameters
            names |= {info.alias or n: info.annotation for n, info in model.model_fields.items()}
    repeatable = {name for name, annotation in names.items() if _is_list(annotation)}
    return Declared(frozenset(names), route.body_field is not None, frozenset(repeatable))


def _is_list(annotation: Any) -> bool:
    """A list, set or tuple, optional or not: the parameter may be given several times."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return get_origin(annotation) in (list, set, frozenset, tuple)


def _error(kind: str, loc: tuple[str, ...], message: str, value: object) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": message, "input": value}


async def _has_body(request: Request) -> bool:
    """Anything but nothing, blanks or `{}` (which some clients send for "no body")."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return False
    return _EMPTY_OBJECT.fullmatch(await request.body()) is None


def _query_parameters(route: APIRoute) -> list[tuple[str, Any]]:
    """(name, annotation) of the query parameters of the route and of its dependencies."""
    parameters, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        parameters += [(p.alias, p.field_info.annotation) for p in dependant.query_params]
        pending.extend(dependant.dependencies)
    return parameters


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in (Union, UnionType):
        options = [arg for arg in get_args(annotation) if arg is not NoneType]
        annotation = options[0] if len(options) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
