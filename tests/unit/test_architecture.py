"""The layering of docs/architecture.md is enforced by tools, and these tests prove the
tools catch what a text search misses.

`lint-imports` (the contracts in pyproject.toml) and `ruff check` (banned-api and
relative imports in domain/ruff.toml) run as `make lint` runs them, on the real
tree and on a copy of it with one offending module added. Each offence here once
passed the old test, which read only absolute imports and searched for two
clock spellings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

from domain.fulfilment import published as fulfilment_published
from domain.fulfilment.policies import WhenOrdersChangeFulfilThem
from domain.orders import published as orders_published
from domain.orders.policies import WhenFulfilmentDecidesRollUp, WhenPaymentsSettleReleaseOrders
from domain.payments import published as payments_published
from domain.payments.policies import WhenOrdersArePlacedOpenPayments

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ("domain", "api", "adapters", "projections", "bench", "tests")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=tree, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def banned_in_domain(tree: Path) -> dict[str, list[str]]:
    """ruff's findings of the domain's own rules (TID25x), by file relative to the tree."""
    answer = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--output-format", "json", "domain"],
        cwd=tree, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found: dict[str, list[str]] = {}
    for finding in json.loads(answer.stdout):
        if finding["code"].startswith("TID25"):
            path = str(Path(finding["filename"]).relative_to(tree))
            found.setdefault(path, []).append(f"{finding['code']} {finding['message']}")
    return found


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's packages and configuration, to add an offence to."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add(tree: Path, path: str, text: str) -> None:
    with (tree / path).open("a") as module:
        module.write(text)


def test_the_real_tree_keeps_every_contract_and_bans_nothing_it_uses():
    contracts = lint_imports(ROOT)
    assert contracts.returncode == 0, contracts.stdout + contracts.stderr
    assert "0 broken" in contracts.stdout
    assert banned_in_domain(ROOT) == {}


def test_a_domain_module_reading_the_date_is_refused(tree: Path):
    add(tree, "domain/fulfilment/clock_today.py",
        "from datetime import date as day\n\n\ndef today() -> day:\n    return day.today()\n")  # fmt: skip
    found = banned_in_domain(tree)
    assert list(found) == ["domain/fulfilment/clock_today.py"]
    assert "datetime.date.today" in found["domain/fulfilment/clock_today.py"][0]


def test_a_domain_module_importing_the_clock_is_refused(tree: Path):
    add(tree, "domain/orders/clock_time.py", "from time import time\n\nSTARTED = time()\n")
    contracts = lint_imports(tree)
    assert contracts.returncode != 0
    assert "domain.orders.clock_time -> time" in contracts.stdout
    assert list(banned_in_domain(tree)) == ["domain/orders/clock_time.py"]


def test_a_relative_import_of_adapters_is_refused(tree: Path):
    add(tree, "domain/fulfilment/reaches_out.py", "from ...adapters import settings\n")
    found = banned_in_domain(tree)
    assert list(found) == ["domain/fulfilment/reaches_out.py"]
    assert found["domain/fulfilment/reaches_out.py"][0].startswith("TID252")


@pytest.mark.parametrize("spelling", [
    "from domain.orders.order import Order",
    "from ..orders.order import Order",
])  # fmt: skip
def test_a_policy_following_the_other_contexts_aggregate_is_refused(tree: Path, spelling: str):
    add(tree, "domain/fulfilment/policies.py", f"\n{spelling}  # noqa: E402\n")
    contracts = lint_imports(tree)
    assert contracts.returncode != 0
    assert "domain.fulfilment.policies -> domain.orders.order" in contracts.stdout


def test_a_published_language_that_reaches_into_its_context_is_refused(tree: Path):
    add(tree, "domain/orders/published.py", "\nfrom domain.orders.order import Order  # noqa\n")
    contracts = lint_imports(tree)
    assert contracts.returncode != 0
    assert "domain.orders.published -> domain.orders.order" in contracts.stdout


# --- the published languages -----------------------------------------------------------


@pytest.mark.parametrize("published", [orders_published, fulfilment_published, payments_published])
def test_every_published_topic_names_its_event_and_its_fields(published):
    for topic, fields in published.FIELDS.items():
        event = resolve_topic(topic)
        assert isinstance(event, type) and issubclass(event, Aggregate.Event), topic
        assert get_topic(event) == topic  # the class is stored under this topic today
        assert set(fields) <= _fields(event), topic


@pytest.mark.parametrize(("policy", "published"), [
    (WhenOrdersChangeFulfilThem, orders_published),
    (WhenFulfilmentDecidesRollUp, fulfilment_published),
    (WhenOrdersArePlacedOpenPayments, orders_published),
    (WhenPaymentsSettleReleaseOrders, payments_published),
])  # fmt: skip
def test_a_policy_follows_only_published_topics_of_the_other_context(policy, published):
    assert set(policy.topics) <= set(published.FIELDS)


def _fields(event: type) -> set[str]:
    return {name for base in event.__mro__ for name in getattr(base, "__annotations__", {})}
