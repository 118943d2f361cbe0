"""On Time In Full per channel and day, beside each channel's targets (docs/otif.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from api.bootstrap import Container
from api.http.auth import PrincipalDep, Scope
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import channel_filter, finds_nothing
from api.http.responses import OrjsonResponse
from api.http.strict_route import StrictRoute
from api.http.strictness import StrictQuery
from domain.errors import FieldProblem, InvalidCommand
from projections.otif_queries import otif_figures

router = APIRouter(tags=["otif"], route_class=StrictRoute)
MAX_DAYS = 366
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Which way each target points: a rate that must stay under it, or over it.
TARGETS = {
    "late_shipment_rate": ("late_shipment_rate_max", "max"),
    "valid_tracking_rate": ("valid_tracking_rate_min", "min"),
    "cancellation_rate": ("cancellation_rate_max", "max"),
    "otif": ("otif_min", "min"),
}


class OtifQuery(StrictQuery):
    channel: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] | None = None
    # Days of the orders' ship-by (UTC); default: the last 7 days up to today.
    from_: Annotated[str | None, Field(alias="from", pattern=DAY)] = None
    to: Annotated[str | None, Field(pattern=DAY)] = None


@router.get("/otif", dependencies=[Scope("orders:read")])
async def get_otif(
    query: Annotated[OtifQuery, Query()], dom: ContainerDep, now: NowDep, principal: PrincipalDep
) -> Response:
    """Per channel and ship-by day: shipped and delivered on time, in full, OTIF, late
    shipment rate, valid tracking rate and pre-fulfilment cancellation rate (percentages;
    null when no order of that day is due yet), each target beside its figure."""
    last = _day(query.to, "to") or now.date()
    first = _day(query.from_, "from") or min(last, now.date()) - timedelta(days=6)
    if first > last:
        raise InvalidCommand([FieldProblem("from", "is after to")])
    if (last - first).days >= MAX_DAYS:
        raise InvalidCommand([FieldProblem("to", f"at most {MAX_DAYS} days after from")])
    if finds_nothing(principal, query.channel):  # a channel key: its own figures only
        return OrjsonResponse({"from": first, "to": last, "at": now, "items": []})
    channel = channel_filter(principal, query.channel)
    rows = await run_in_threadpool(otif_figures, dom.store, now, first, last, channel)
    targeted = await run_in_threadpool(_with_targets, dom, rows)
    return OrjsonResponse({"from": first, "to": last, "at": now, "items": targeted})


def _day(text: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidCommand([FieldProblem(name, "not a day of the calendar")]) from None


def _with_targets(dom: Container, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    settings = {code: dom.orders.channel_settings(code)[0] for code in {r["channel"] for r in rows}}
    for row in rows:
        targets = settings[row["channel"]].as_record()["targets"]
        row["targets"] = {
            figure: {"target": targets[key], "direction": direction,
                     "met": _met(row[figure], targets[key], direction)}
            for figure, (key, direction) in TARGETS.items()
        }  # fmt: skip
    return rows


def _met(value: float | None, target: float, direction: str) -> bool | None:
    if value is None:
        return None
    return value < target if direction == "max" else value > target
