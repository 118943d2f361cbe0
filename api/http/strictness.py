"""What the HTTP edge refuses before any route runs, in one place for every field and route.

Bodies and query models derive from `Strict`, which refuses unknown fields,
text dom cannot record (`domain.text`: control characters, lone surrogates;
tab and newline only in fields marked `MULTI_LINE`), infinite or NaN floats,
and booleans or strings where a number belongs. It checks every string of
every field, through lists and dicts and their keys, so a new field is
covered without anyone remembering to annotate it.

`strict_route.StrictRoute` covers what the models do not see:
for the matched route it refuses query parameters the route does not
declare, text that cannot be recorded in any query value or path parameter,
and a body sent to a route that takes none. It reads the route's own
declaration, so a new route is covered the moment it is added.

What the models take is what their JSON schemas say (the OpenAPI document,
which the contract tests hold the app to): every text field publishes a
pattern (`text_pattern`: blanks stripped, control characters refused, the
lengths counted after stripping), a moment its pattern (MOMENT_PATTERN).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from types import GenericAlias, NoneType
from typing import Annotated, Any, Self, get_args
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.http.patterns import MAX_TEXT, MOMENT, MOMENT_PATTERN, describe_text
from domain.moments import moment_problem
from domain.text import plain_texts, text_problems

TEXT_FREE = (
    bool,
    int,
    float,
    Decimal,
    date,
    datetime,
    time,
    timedelta,
    UUID,
    NoneType,
    AwareDatetime,
)
# Marks a free-text field (a reason, a note) where tab and newline make sense.
MULTI_LINE = object()
# JSON has no dates and no enums: they arrive as text and are converted (and checked) here.
FROM_TEXT = Field(strict=False)


def _publish_text_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Let the JSON schema of a body say what `Strict` takes: every string of a text field gets
    its pattern (`text_pattern`, or its own with blanks allowed around it, since blanks are
    stripped before it is matched); the pattern carries the lengths, counted after stripping."""
    properties = schema.get("properties", {})
    for name, multi_line in _text_fields(model):
        info = model.model_fields[name]
        describe_text(properties.get(info.alias or name, {}), multi_line)


class Strict(BaseModel):
    """A request body: unknown fields, unrecordable text and loose numbers are refused."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        str_max_length=MAX_TEXT,
        strict=True,  # no bool or text for a number, no float for an int
        allow_inf_nan=False,
        json_schema_extra=_publish_text_rules,
    )

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """JSON has one kind of number, and JSON Schema calls 3.0 an integer: a float with no
        fraction is taken as the integer it is (3.5 still is no integer, True no number).
        The fields that hold models are left to them: each model converts its own."""
        if not isinstance(data, dict):
            return _whole_numbers_as_ints(data)
        nested = _model_fields(cls)
        converted = {
            key: _whole_numbers_as_ints(inner)
            for key, inner in data.items()
            if key not in nested and isinstance(inner, float | dict | list)
        }
        return {**data, **converted} if converted else data

    @model_validator(mode="after")
    def _recordable_text(self) -> Self:
        """Every string of every field; nested models have already checked their own."""
        fields = _text_fields(type(self))
        if plain_texts([self.__dict__[name] for name, _ in fields]):
            return self  # the common case in one scan: bulk requests hold many models
        errors: list[InitErrorDetails] = []
        for name, multi_line in fields:
            value = self.__dict__[name]
            for path, problem in text_problems(value, multi_line):
                error = PydanticCustomError("text", "{problem}", {"problem": problem})
                errors.append(InitErrorDetails(type=error, loc=(name, *path), input=value))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


def _whole_numbers_as_ints(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {key: _whole_numbers_as_ints(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_ints(inner) for inner in value]
    return value


class StrictQuery(Strict):
    """A query string: all text, so numbers and booleans are converted from it. Taken as
    sent (not stripped), so that its parameters' published lengths and patterns are exact."""

    model_config = ConfigDict(strict=False, str_strip_whitespace=False)


@cache
def _model_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names (and aliases) of the fields whose type holds a model."""
    return frozenset(
        key
        for name, info in model.model_fields.items()
        if any(_is_model(part) for part in _annotation_parts(info))
        for key in (name, info.alias or name)
    )


def _is_model(part: Any) -> bool:
    return (
        isinstance(part, type)
        and not isinstance(part, GenericAlias)
        and issubclass(part, BaseModel)
    )


@cache
def _text_fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """(name, multi-line?) of the fields that may hold text, read once per model.

    Numbers, dates, enums (whose values are known) and nested models (which
    check themselves) are skipped; a type not known to be text-free is walked.
    """
    fields = []
    for name, info in model.model_fields.items():
        parts = _annotation_parts(info)
        if any(_may_be_text(part) for part in parts):
            fields.append((name, any(part is MULTI_LINE for part in parts)))
    return tuple(fields)


def _annotation_parts(info: FieldInfo) -> list[Any]:
    """The field's type and all inside it: e.g. Annotated[str, MULTI_LINE] | None gives
    the union, the Annotated, str, MULTI_LINE and NoneType."""
    parts, pending = list(info.metadata), [info.annotation]
    while pending:
        part = pending.pop()
        parts.append(part)
        pending.extend(get_args(part))
    return parts


def _may_be_text(part: Any) -> bool:
    if part is Any or part is object:
        return True
    if not isinstance(part, type) or isinstance(part, GenericAlias):
        return False  # metadata, Literal values, list[...] (its arguments are parts too)
    return not issubclass(part, (*TEXT_FREE, Enum, BaseModel))


def _rfc3339(value: Any) -> Any:
    """What the published pattern says (MOMENT_PATTERN); pydantic alone would also take
    numbers (and numeric text) as Unix times, and dates without a time."""
    if isinstance(value, datetime) or (isinstance(value, str) and MOMENT.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "moment", "must be an RFC 3339 date-time from 1970-01-02 to 2199-12-30 with an offset"
    )


def _in_range(moment: datetime) -> datetime:
    if problem := moment_problem(moment):
        raise PydanticCustomError("moment", problem)
    return moment


# An aware date-time in the range every context accepts (domain.moments).
Moment = Annotated[
    AwareDatetime,
    FROM_TEXT,
    BeforeValidator(_rfc3339),
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": MOMENT_PATTERN}),
]
