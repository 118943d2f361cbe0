"""The layering of STYLE.md, checked rather than remembered."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "domain": {
        "api",
        "adapters",
        "projections",
        "fastapi",
        "psycopg",
        "sqlite3",
        "nats",
        "uvicorn",
    },
    "projections": {"api"},
    "adapters": {"api", "projections"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_inward(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_the_domain_reads_no_clock():
    for path in (ROOT / "domain").rglob("*.py"):
        text = path.read_text()
        assert "datetime.now" not in text and "time.time" not in text, path
