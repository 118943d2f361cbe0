"""`dom carriers load FILE`: every carrier of the file defined, a rerun changes nothing,
a file with one bad definition applies none."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.settings import Settings
from api.bootstrap import bootstrap
from tests.carrier_builders import a_carrier, a_cheap_slow_carrier
from tests.e2e.test_processes import dom_env, run_dom


def codes_defined(tmp_path: Path) -> list[tuple[str, int]]:
    dom = bootstrap(Settings(data_dir=tmp_path / "var"))
    try:
        return [(carrier.code, carrier.revision) for carrier in dom.fulfilment.carriers()]
    finally:
        dom.close()


def test_load_a_file_of_carriers_then_again_then_a_bad_one(tmp_path: Path):
    env = dom_env(tmp_path, None)
    good = tmp_path / "carriers.json"
    good.write_text(json.dumps([a_carrier(), a_cheap_slow_carrier()]))
    first = run_dom("carriers", "load", str(good), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["BPOST: version 1 defined", "SLOWPOST: version 1 defined"]
    again = run_dom("carriers", "load", str(good), env=env)
    assert again.stdout.splitlines() == [
        "BPOST: version 1 unchanged", "SLOWPOST: version 1 unchanged"]  # fmt: skip

    one = tmp_path / "one.json"
    one.write_text(json.dumps(a_carrier(active=False)))
    assert run_dom("carriers", "load", str(one), env=env).stdout == "BPOST: version 2 defined\n"

    bad = tmp_path / "bad.json"
    broken = a_cheap_slow_carrier("NEWPOST") | {"currency": "XYZ"}
    bad.write_text(json.dumps([a_carrier(name="changed"), broken]))
    refused = run_dom("carriers", "load", str(bad), env=env)
    assert refused.returncode == 2
    assert "carrier 2 (NEWPOST): currency: " in refused.stderr
    assert "nothing was applied" in refused.stderr
    (tmp_path / "not.json").write_text("{")
    assert run_dom("carriers", "load", str(tmp_path / "not.json"), env=env).returncode == 2
    assert codes_defined(tmp_path) == [("BPOST", 2), ("SLOWPOST", 1)]
