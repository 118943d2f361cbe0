"""The app on SQLite keeps its OpenAPI contract: every check, stateless and stateful."""

from __future__ import annotations

import itertools
from pathlib import Path

import schemathesis
from schemathesis.python import asgi

from tests.conftest import settings_for
from tests.contract.conftest import STATEFUL_SETTINGS, contract_schema, scenarios

SCHEMA = contract_schema()


@SCHEMA.parametrize()
def test_every_operation_keeps_its_contract(case: schemathesis.Case, sqlite_api: asgi.ASGIClient):
    case.call_and_validate(session=sqlite_api)


def test_sequences_of_operations_keep_the_contract(tmp_path: Path):
    numbers = itertools.count()
    scenarios(SCHEMA, lambda: settings_for("sqlite", tmp_path / str(next(numbers)))).run(
        settings=STATEFUL_SETTINGS
    )
