"""Carrier files (`dom carriers load FILE`): one definition or a list, as JSON, every one
checked before any is applied, so a bad file changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from api.bootstrap import Container
from api.imports import BadFile
from domain.errors import DomainError


def read_carriers(dom: Container, file: Path) -> list[dict[str, Any]]:
    """The file's definitions, each checked as `PUT /carriers/{code}` checks a body;
    BadFile naming every problem (by the definition's place and code) otherwise."""
    try:
        found = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as error:
        raise BadFile(f"not JSON: {error}") from error
    definitions = found if isinstance(found, list) else [found]
    if not definitions:
        raise BadFile("no carrier in the file")
    problems = []
    for n, definition in enumerate(definitions, start=1):
        try:
            dom.fulfilment.checked_carrier(definition)
        except DomainError as error:
            code = definition.get("code") if isinstance(definition, dict) else None
            problems.append(f"carrier {n} ({code or 'no code'}): {error.detail}")
    if problems:
        raise BadFile("; ".join(problems) + "; nothing was applied")
    return definitions
