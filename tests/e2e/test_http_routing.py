"""Routing policies through HTTP and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Container
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


def test_the_policies_are_listed_by_name_with_their_versions(client: TestClient):
    assert client.get("/routing-policies").json() == {"items": []}
    for name in ("outlet", "default"):
        client.post(f"/routing-policies/{name}/versions", json={"rules": RULES, "note": "v1"})
    other = {"strategies": [{"name": "cheapest", "criteria": [{"kind": "priority"}]}]}
    client.post("/routing-policies/default/versions", json={"rules": other})
    client.post("/routing-policies/default/versions/2/activate")
    listed = client.get("/routing-policies").json()["items"]
    assert listed == [
        {"name": "default", "active_version": 2, "versions": [
            {"version": 1, "status": "draft", "note": "v1"},
            {"version": 2, "status": "active", "note": ""},
        ]},
        {"name": "outlet", "active_version": None, "versions": [
            {"version": 1, "status": "draft", "note": "v1"},
        ]},
    ]  # fmt: skip


def test_bad_policies_are_refused_naming_the_problem(client: TestClient):
    bad = {"strategies": [{"criteria": [{"kind": "max_distance"}], "fallback": "pray"}]}
    answer = client.post("/routing-policies/default/versions", json={"rules": bad})
    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["fields"]}
    assert fields == {"rules.strategies.0.criteria.0.km", "rules.strategies.0.fallback"}
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
    listed = run_dom("policy", "list", env=env)
    assert listed.returncode == 0 and listed.stdout == "default: active 1; versions 1 active\n"
    assert "retired" in run_dom("policy", "retire", "default", "1", env=env).stdout
    listed = run_dom("policy", "list", env=env)
    assert listed.stdout == "default: active none; versions 1 retired\n"


def positions(dom: Container) -> tuple[int | None, int | None]:
    return dom.fulfilment.recorder.max_notification_id(), dom.orders.recorder.max_notification_id()


def test_an_infinite_distance_is_refused_and_nothing_is_recorded(
    client: TestClient, dom: Container
):
    # given: a policy with one version
    client.post("/routing-policies/default/versions", json={"rules": RULES})
    before, versions = positions(dom), dom.fulfilment.get_policy("default").versions
    # when: a version whose limit JSON parsers read as infinity
    body = b'{"rules": {"strategies": [{"criteria": [{"kind": "max_distance", "km": 1e400}]}]}}'
    answer = client.post(
        "/routing-policies/default/versions",
        content=body,
        headers={"content-type": "application/json"},
    )
    # then: refused, naming the field, and nothing recorded
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "validation_error"
    assert [f["field"] for f in answer.json()["fields"]] == ["rules.strategies.0.criteria.0.km"]
    assert positions(dom) == before
    assert dom.fulfilment.get_policy("default").versions == versions


BAD_REQUESTS = [
    ("unknown-criterion-key", "post", "/routing-policies/default/versions",
     {"rules": {"strategies": [{"criteria": [{"kind": "distance", "bands": [5]}]}]}},
     "rules.strategies.0.criteria.0.bands"),
    ("lower-case-country", "post", "/routing-policies/default/versions",
     {"rules": {"strategies": [{"when": {"countries": ["be"]}}]}},
     "rules.strategies.0.when.countries.0"),
    ("boolean-for-a-number", "post", "/routing-policies/default/versions",
     {"rules": {"strategies": [{"criteria": [{"kind": "max_splits", "max": True}]}]}},
     "rules.strategies.0.criteria.0.max"),
    ("version-zero", "post", "/routing-policies/default/versions/0/activate", None, "version"),
    ("version-too-big", "post", "/routing-policies/default/versions/1000001/activate", None,
     "version"),
    ("version-negative", "post", "/routing-policies/default/versions/-1/retire", None, "version"),
    ("unknown-exception-kind", "get", "/exceptions?kind=vanished", None, "kind"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [r[1:] for r in BAD_REQUESTS],
    ids=[r[0] for r in BAD_REQUESTS],
)
def test_bad_input_is_refused_with_422_naming_the_field_and_records_nothing(
    client: TestClient, dom: Container, method: str, path: str, body: object, field: str
):
    client.post("/routing-policies/default/versions", json={"rules": RULES})
    before, versions = positions(dom), dom.fulfilment.get_policy("default").versions
    answer = client.request(method.upper(), path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "validation_error"
    assert field in [problem["field"] for problem in answer.json()["fields"]]
    assert positions(dom) == before
    assert dom.fulfilment.get_policy("default").versions == versions


def test_a_retired_version_is_activated_again(client: TestClient):
    for note in ("v1", "v2"):
        rules = {"strategies": [dict(RULES["strategies"][0], name=note)]}
        client.post("/routing-policies/default/versions", json={"rules": rules, "note": note})
    client.post("/routing-policies/default/versions/1/activate")
    client.post("/routing-policies/default/versions/2/activate")  # retires 1
    again = client.post("/routing-policies/default/versions/1/activate")
    assert again.status_code == 200, again.text
    assert again.json()["active_version"] == 1
    assert [v["status"] for v in again.json()["versions"]] == ["active", "retired"]
    retired = client.post("/routing-policies/default/versions/1/retire").json()
    assert retired["active_version"] is None


def test_a_version_stores_the_normalised_rules(client: TestClient):
    rules = {"strategies": [{"criteria": [{"kind": "stock"}, {"kind": "max_distance", "km": 5}]}]}
    drafted = client.post("/routing-policies/default/versions", json={"rules": rules}).json()
    assert drafted["versions"][0]["rules"] == {
        "strategies": [
            {
                "name": "strategies.0",
                "when": {},
                "criteria": [
                    {"kind": "stock", "mode": "line"},
                    {"kind": "max_distance", "km": 5.0},
                ],
                "fallback": "exception",
            }
        ]
    }


def test_the_cli_refuses_what_the_api_refuses_with_exit_status_2(tmp_path: Path):
    env = dom_env(tmp_path, None)
    good, bad = tmp_path / "rules.json", tmp_path / "bad.json"
    good.write_text(json.dumps(RULES))
    bad.write_text(
        '{"strategies": [{"criteria": [{"kind": "max_distance", "km": 5, "miles": 3}]}]}'
    )
    # a name the API refuses
    named = run_dom("policy", "draft", "Bad Name", str(good), env=env)
    assert named.returncode == 2 and "Invalid value for 'name'" in named.stderr
    # a rule set that could never apply: the path of the problem on stderr
    refused = run_dom("policy", "draft", "default", str(bad), env=env)
    assert refused.returncode == 2
    assert "rules.strategies.0.criteria.0.miles: unknown field" in refused.stderr
    # a version out of range
    assert run_dom("policy", "activate", "default", "0", env=env).returncode == 2
    # nothing was drafted: the first good draft is version 1
    drafted = run_dom("policy", "draft", "default", str(good), env=env)
    assert drafted.returncode == 0 and "draft version 1" in drafted.stdout


def test_the_cli_retires_and_activates_again(tmp_path: Path):
    env = dom_env(tmp_path, None)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    run_dom("policy", "draft", "default", str(rules), env=env)
    assert "activated" in run_dom("policy", "activate", "default", "1", env=env).stdout
    retired = run_dom("policy", "retire", "default", "1", env=env)
    assert retired.returncode == 0 and "retired" in retired.stdout
    again = run_dom("policy", "activate", "default", "1", env=env)
    assert again.returncode == 0 and "activated" in again.stdout
    assert run_dom("policy", "retire", "default", "7", env=env).returncode == 2
