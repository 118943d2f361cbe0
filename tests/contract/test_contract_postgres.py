"""The app on PostgreSQL keeps its OpenAPI contract too, above all: no server error, where
text and numbers meet the strictest store. Every check, stateless and stateful; without the
coverage phase, whose boundary cases test the edge's validation, which the SQLite run covers
and which does not depend on the store (and would double the run's time)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from schemathesis.python import asgi

from tests.conftest import reset_postgres, settings_for
from tests.contract.conftest import STATEFUL_SETTINGS, contract_schema, scenarios

pytestmark = pytest.mark.postgres
SCHEMA = contract_schema(coverage=False)


@SCHEMA.parametrize()
def test_every_operation_keeps_its_contract(case: schemathesis.Case, postgres_api: asgi.ASGIClient):
    case.call_and_validate(session=postgres_api)


def test_sequences_of_operations_keep_the_contract(postgres_url: str, tmp_path: Path):
    def new_store():
        reset_postgres(postgres_url)
        return settings_for("postgres", tmp_path, postgres_url)

    scenarios(SCHEMA, new_store).run(settings=STATEFUL_SETTINGS)
