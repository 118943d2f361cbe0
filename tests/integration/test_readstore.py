"""The read store binds values with each driver's own placeholders and runs any valid SQL
file once: a `?`, a `%` or a `;` in the SQL text is never taken for something else."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.readstore import ReadStore, bind
from adapters.settings import Settings


@pytest.fixture
def store(durable_store: Settings):
    views = ReadStore(durable_store)
    yield views
    views.close()


def test_question_marks_and_percent_signs_in_literals_are_text_not_placeholders(store):
    rows = store.query("SELECT '?%s%' || {} || '?' AS text, {} AS number", ("a;b", 7))
    assert rows == [{"text": "?%s%a;b?", "number": 7}]


def test_a_literal_brace_is_written_twice_and_identifiers_are_checked():
    assert bind("SELECT '{{x}}', {} FROM {t}", 1, "postgres", t="views") == (
        "SELECT '{x}', $1 FROM views"
    )
    assert bind("SELECT {}, {}", 2, "sqlite") == "SELECT ?, ?"
    with pytest.raises(ValueError, match="2 values for 1 slots"):
        bind("SELECT {}", 2, "sqlite")
    with pytest.raises(ValueError, match="not an identifier"):
        bind("SELECT 1 FROM {t}", 0, "sqlite", t="views; DROP TABLE x")


MIGRATION = """
-- a comment; with a semicolon
CREATE TABLE odd (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'a;b', mark TEXT DEFAULT '?%');
CREATE TABLE odd_log (note TEXT);
INSERT INTO odd (id) VALUES (1); INSERT INTO odd (id, note) VALUES (2, 'it''s; fine')
"""
TRIGGER = {
    "sqlite": "CREATE TRIGGER odd_logged AFTER INSERT ON odd BEGIN "
    "INSERT INTO odd_log VALUES ('row; ' || NEW.note); END;",
    "postgres": "CREATE FUNCTION odd_logged() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO odd_log VALUES ('row; ' || NEW.note); RETURN NEW; END; $$ LANGUAGE plpgsql;\n"
    "CREATE TRIGGER odd_logged AFTER INSERT ON odd FOR EACH ROW EXECUTE FUNCTION odd_logged();",
}


def test_migrations_run_whole_files_once_whatever_their_semicolons(store, tmp_path: Path):
    (tmp_path / "9001_odd.sql").write_text(MIGRATION)
    (tmp_path / "9002_trigger.sql").write_text(TRIGGER[store.dialect] + "\n-- the end")
    (tmp_path / "9003_use.sql").write_text("INSERT INTO odd (id, note) VALUES (3, 'x;y');")
    assert store.migrate(tmp_path) == ["9001_odd.sql", "9002_trigger.sql", "9003_use.sql"]
    assert store.migrate(tmp_path) == []
    rows = store.query("SELECT id, note, mark FROM odd ORDER BY id")
    assert rows == [
        {"id": 1, "note": "a;b", "mark": "?%"},
        {"id": 2, "note": "it's; fine", "mark": "?%"},
        {"id": 3, "note": "x;y", "mark": "?%"},
    ]
    assert store.query("SELECT note FROM odd_log") == [{"note": "row; x;y"}]
    recorded = store.query("SELECT name FROM schema_migrations WHERE version > 9000 ORDER BY 1")
    assert [row["name"] for row in recorded] == ["9001_odd.sql", "9002_trigger.sql", "9003_use.sql"]


def test_a_failing_migration_records_nothing_and_changes_nothing(store, tmp_path: Path):
    (tmp_path / "9001_half.sql").write_text(
        "CREATE TABLE half (id INTEGER);\nINSERT INTO missing_table VALUES (1);"
    )
    with pytest.raises(Exception, match="missing_table"):
        store.migrate(tmp_path)
    assert store.query("SELECT version FROM schema_migrations WHERE version = 9001") == []
    with pytest.raises(Exception, match="half"):
        store.query("SELECT * FROM half")
