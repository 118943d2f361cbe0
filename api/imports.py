"""ETL from ERP exports: streaming CSV imports that apply good lines and report the rest.

Stock CSV columns (header required; extra columns are ignored):
    location, sku, quantity, counted_at [, safety_stock]
Location CSV columns:
    code, name, type, country, latitude, longitude, time_zone
    [, channels, daily_capacity, cutoff_time, working_days, priority, capabilities,
       active, line1, postal_code, city]
Lists (channels, working_days, capabilities) are separated by ';'.

Every field goes through the same request models as the HTTP API, so a line
with text dom cannot record (a NUL, a control character, bytes that are not
UTF-8) or a date out of range is rejected naming its column, and the others
are applied.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tqdm import tqdm

from api.bootstrap import Container
from api.http.schemas_stock import CODE_PATTERN, TIME_ZONES, CountIn, LocationIn
from domain.errors import InvalidCommand
from domain.fulfilment.application import CountReport, StockCount
from domain.fulfilment.location import LocationProfile
from domain.text import text_problem

STOCK_COLUMNS = ("location", "sku", "quantity", "counted_at")
# latitude and longitude may be left empty when the city column can be located.
LOCATION_COLUMNS = ("code", "name", "type", "country", "latitude", "longitude", "time_zone")
LISTS = ("channels", "working_days", "capabilities", "groups")
ADDRESS = ("line1", "postal_code", "city", "region")
# Stock columns that are not text; the model checks the converted values.
CONVERSIONS: dict[str, tuple[Callable[[str], Any], str]] = {
    "quantity": (int, "must be a whole number"),
    "safety_stock": (int, "must be a whole number"),
    "counted_at": (
        datetime.fromisoformat,
        "must be a date-time with an offset, e.g. 2026-11-26T08:00:00Z",
    ),
}
BOOLEANS = {"true": True, "yes": True, "y": True, "1": True,
            "false": False, "no": False, "n": False, "0": False}  # fmt: skip


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


class BadFile(ValueError):
    """The file as a whole cannot be read (missing columns, not CSV)."""


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data line; the header is line 1.

    Bytes that are not UTF-8 become lone surrogates (surrogateescape), which
    the models refuse: one bad field rejects its line, not the whole file.
    """
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BadFile(f"{path}: missing columns {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}


def stock_counts(path: Path) -> Iterator[tuple[int, StockCount | Rejected]]:
    for line, row in read_rows(path, STOCK_COLUMNS):
        values: dict[str, Any] = {c: row[c] for c in STOCK_COLUMNS}
        if row.get("safety_stock"):
            values["safety_stock"] = row["safety_stock"]
        if unrecordable := _unrecordable(values):
            yield line, Rejected(line, unrecordable)
            continue
        try:
            for column, (convert, rule) in CONVERSIONS.items():
                if column in values:
                    values[column] = _converted(column, values[column], convert, rule)
            yield line, CountIn(**values).to_count()
        except ValueError as error:
            yield line, Rejected(line, _reason(error))


def _unrecordable(values: dict[str, str]) -> str | None:
    """The columns whose text dom cannot record, checked before any conversion: Python's
    datetime.fromisoformat, for one, stops reading at a NUL and accepts what precedes it."""
    problems = [f"{k}: {problem}" for k, v in values.items() if (problem := text_problem(v))]
    return "; ".join(problems) or None


def _converted(column: str, text: str, convert: Callable[[str], Any], rule: str) -> Any:
    """The column's value, or a plain reason naming the column (not Python's message)."""
    try:
        return convert(text)
    except ValueError:
        raise ValueError(f"{column}: {rule} (not {text!r})") from None


def location_profiles(path: Path) -> Iterator[tuple[int, LocationProfile | Rejected]]:
    for line, row in read_rows(path, LOCATION_COLUMNS):
        known = set(LocationIn.model_fields) | set(ADDRESS)
        values: dict[str, Any] = {k: v for k, v in row.items() if v != "" and k in known}
        if unrecordable := _unrecordable({"code": row["code"], **values}):
            yield line, Rejected(line, unrecordable)
            continue
        if not re.fullmatch(CODE_PATTERN, row["code"]):
            yield line, Rejected(line, "code: letters, digits, '.', '_' or '-', at most 32")
            continue
        for key in LISTS:
            if key in values:
                values[key] = [item.strip() for item in values[key].split(";") if item.strip()]
        if "active" in values:
            if values["active"].lower() not in BOOLEANS:
                yield line, Rejected(line, f"active: must be true or false (not {row['active']!r})")
                continue
            values["active"] = BOOLEANS[values["active"].lower()]
        values["address"] = {key: values.pop(key) for key in ADDRESS if key in values}
        try:
            # Text columns: numbers and booleans are converted from it, as in a query string.
            yield line, LocationIn.model_validate(values, strict=False).to_profile(row["code"])
        except ValueError as error:
            yield line, Rejected(line, _reason(error))
        except InvalidCommand as error:  # no point: no coordinates, and the city not found
            yield line, Rejected(line, error.detail)


def import_stock(
    dom: Container, path: Path, chunk_size: int, now: datetime, progress: tqdm[Any]
) -> tuple[ImportReport, list[Rejected]]:
    """Apply the good lines chunk by chunk; collect the rejected ones with their reasons."""
    report, rejected = ImportReport(), []
    chunk: list[tuple[int, StockCount]] = []
    known: set[str] = set()
    counted: dict[tuple[str, str, datetime], int] = {}  # (location, sku, moment) -> line
    for line, item in stock_counts(path):
        progress.update(1)
        if isinstance(item, Rejected):
            rejected.append(item)
        elif item.location not in known and not dom.fulfilment.knows_location(item.location):
            rejected.append(Rejected(line, f"location: unknown location {item.location!r}"))
        elif (key := (item.location, item.sku, item.counted_at)) in counted:
            rejected.append(Rejected(line, f"counted_at: line {counted[key]} counts {item.sku} "
                                           f"at {item.location} at the same moment"))  # fmt: skip
        else:
            counted[key] = line
            known.add(item.location)
            chunk.append((line, item))
        if len(chunk) >= chunk_size:
            report.add(_count(dom, chunk, now, rejected))
            chunk = []
    if chunk:
        report.add(_count(dom, chunk, now, rejected))
    dom.runtime.catch_up_all()
    return report, sorted(rejected, key=lambda item: item.line)


def _count(
    dom: Container, chunk: list[tuple[int, StockCount]], now: datetime, rejected: list[Rejected]
) -> CountReport:
    """Apply a chunk; lines the application refuses (e.g. dated in the future) are rejected."""
    good: list[tuple[int, StockCount]] = []
    for line, count in chunk:
        if count.from_the_future(now):
            rejected.append(Rejected(line, "counted_at: is in the future"))
        else:
            good.append((line, count))
    while good:
        try:
            return dom.fulfilment.count_stock([count for _, count in good], now)
        except InvalidCommand as error:  # counts.N.field: the chunk's Nth line, rejected
            refused: dict[int, list[str]] = {}
            for problem in error.problems:
                place, _, field = problem.field.removeprefix("counts.").partition(".")
                if not place.isdigit() or int(place) >= len(good):
                    raise
                refused.setdefault(int(place), []).append(f"{field}: {problem.message}")
            rejected += [Rejected(good[n][0], "; ".join(why)) for n, why in refused.items()]
            good = [item for n, item in enumerate(good) if n not in refused]
    return CountReport(0, 0, None)


def import_locations(
    dom: Container, path: Path, now: datetime, progress: tqdm[Any]
) -> tuple[ImportReport, list[Rejected]]:
    report, rejected = ImportReport(), []
    for line, item in location_profiles(path):
        progress.update(1)
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        try:
            _, outcome = dom.fulfilment.define_location(item, now, TIME_ZONES)
        except InvalidCommand as error:
            rejected.append(Rejected(line, error.detail))
            continue
        report.applied += outcome.changed
        report.unchanged += not outcome.changed
    dom.runtime.catch_up_all()
    return report, rejected


@dataclass
class ImportReport:
    applied: int = 0
    unchanged: int = 0

    def add(self, counts: CountReport) -> None:
        self.applied += counts.applied
        self.unchanged += counts.unchanged


def _reason(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{_column(e['loc'])}: {e['msg']}" for e in error.errors())
    return str(error)


def _column(loc: tuple[int | str, ...]) -> str:
    """The CSV column a model error is about (address columns are fields of `address`)."""
    if loc[:1] == ("address",) and len(loc) > 1:
        loc = loc[1:]
    return ".".join(map(str, loc)) or "row"
