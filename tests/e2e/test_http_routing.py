"""Routing policies through HTTP and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.e2e.test_processes import dom_env, run_dom

RULES = {
    "strategies": [
        {
            "name": "nearest with stock",
            "criteria": [
                {"kind": "capacity"},
                {"kind": "stock", "mode": "line"},
                {"kind": "distance"},
            ],
            "fallback": "backorder",
        }
    ]
}


def test_draft_activate_and_read_a_policy(client: TestClient):
    drafted = client.post("/routing-policies/default/versions", json={"rules": RULES, "note": "v1"})
    assert drafted.status_code == 201 and drafted.json()["version"] == 1
    same = client.post("/routing-policies/default/versions", json={"rules": RULES})
    assert same.status_code == 200 and same.json()["version"] == 1
    active = client.post("/routing-policies/default/versions/1/activate")
    assert active.json()["active_version"] == 1
    assert client.get("/routing-policies/default").json()["versions"][0]["status"] == "active"


def test_bad_policies_are_refused_naming_the_problem(client: TestClient):
    bad = {"strategies": [{"criteria": [{"kind": "max_distance"}], "fallback": "pray"}]}
    answer = client.post("/routing-policies/default/versions", json={"rules": bad})
    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["fields"]}
    assert fields == {"strategies.0.criteria.0.km", "strategies.0.fallback"}
    assert client.get("/routing-policies/default").status_code == 404
    assert client.post("/routing-policies/default/versions/1/activate").status_code == 404


def test_the_cli_drafts_and_activates_from_a_file(tmp_path: Path):
    env = dom_env(tmp_path, None)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    drafted = run_dom("policy", "draft", "default", str(rules), "--note", "from a file", env=env)
    assert drafted.returncode == 0 and "draft version 1" in drafted.stdout
    assert "activated" in run_dom("policy", "activate", "default", "1", env=env).stdout
    (tmp_path / "bad.json").write_text("{not json")
    assert (
        run_dom("policy", "draft", "default", str(tmp_path / "bad.json"), env=env).returncode == 2
    )
    assert run_dom("policy", "activate", "default", "9", env=env).returncode == 2
