"""`dom import payments FILE` as a user runs it: a summary and exit 0; rejected entries
listed with exit 1; a hostile or broken file refused with exit 2 and nothing imported."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_http_payments import a_camt053
from tests.e2e.test_processes import dom_env, run_dom

BILLION_LAUGHS = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>"""


def test_a_statement_is_imported_with_a_summary_and_the_bad_ones_exit_non_zero(tmp_path: Path):
    env = dom_env(tmp_path, None)
    good = a_camt053(tmp_path / "good.xml", ("B1", "10.00", "nobody's"))
    done = run_dom("import", "payments", str(good), env=env)
    assert done.returncode == 0, done.stderr
    assert "0 entries recorded (none), 0 recorded before, 1 unmatched, 0 rejected" in done.stdout
    assert "unmatched B1: 10.00 EUR on 2026-12-02" in done.stdout
    bad = a_camt053(tmp_path / "bad.xml", ("B2", "10.001", "three decimals"))
    rejected = run_dom("import", "payments", str(bad), env=env)
    assert rejected.returncode == 1 and "rejected B2: " in rejected.stderr
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(BILLION_LAUGHS)
    refused = run_dom("import", "payments", str(hostile), env=env)
    assert refused.returncode == 2
    assert "refused: the XML declares" in refused.stderr and "nothing imported" in refused.stderr
