"""A person's decision for an order the rules could not place: its open lines, or some of
them, ship from a location they name. Stock is checked and reserved as for any decision
(all or nothing); the policy's criteria are not applied, and the explanation says so."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import Conflict, FieldProblem, InvalidCommand, NotFound
from domain.fulfilment.fulfilment_order import FulfilmentOrder, FulfilmentStatus
from domain.fulfilment.location import Location, location_id_for
from domain.fulfilment.promising import dates
from domain.fulfilment.routing import request_shipments, settle_backorders, track_undecided
from domain.processing import Unit


def allocate_by_hand(
    unit: Unit,
    order: FulfilmentOrder,
    location: str,
    line_ids: list[str] | None,
    note: str,
    now: datetime,
) -> None:
    """Allocate the named open lines (all of them when None) to one location, whole."""
    code = location.upper()
    found = unit.get(Location, location_id_for(code))
    if found is None:
        raise NotFound(f"unknown location {code!r}")
    if not found.active:
        raise Conflict(f"{code} is not active: activate it or name another location")
    if _done_already(order, code, line_ids, note):
        return
    if not order.waiting:
        raise Conflict(f"order {order.id} waits for nothing: there is nothing to allocate")
    lines = _open_lines(order, line_ids)
    plan = {code: lines}
    was_undecided, attempt = order.undecided, order.decisions + 1
    shipments = request_shipments(unit, order, plan, attempt, now)
    unfilled = {lid: q for lid, q in order.open.items() if q > 0 and lid not in lines}
    # What is left keeps waiting as it did: for stock if it was backordered, else for a person.
    fallback = "backorder" if order.status is FulfilmentStatus.BACKORDERED else "exception"
    order.record_decision({
        "policy_version": None, "strategy": "by_hand", "plan": plan, "unfilled": unfilled,
        "fallback": fallback if unfilled else None,
        "reason": f"allocated by hand to {code}: {note}", "note": note,
        "candidates": [_chosen(code, lines, note)], "attempt": attempt, "at": now.isoformat(),
        "shipments": shipments, "stock_seen": {},
    } | dates(unit, order, sorted(order.allocated.keys() | {code}), now), now)  # fmt: skip
    settle_backorders(unit, order, set(unfilled))
    track_undecided(unit, order, was_undecided)


def _done_already(order: FulfilmentOrder, code: str, line_ids: list[str] | None, note: str) -> bool:
    """A retry of the allocation the order's last decision recorded."""
    last = order.by_hand
    if last is None or last["note"] != note or list(last["plan"]) != [code]:
        return False
    if line_ids is None:  # it took every open line, then
        return not last["unfilled"]
    return set(line_ids) == set(last["plan"][code])


def _open_lines(order: FulfilmentOrder, line_ids: list[str] | None) -> dict[str, int]:
    known = order.skus()
    chosen = [lid for lid, q in order.open.items() if q > 0] if line_ids is None else line_ids
    problems = [
        FieldProblem(f"line_ids.{n}", "no such line" if lid not in known else "is not open")
        for n, lid in enumerate(chosen)
        if order.open.get(lid, 0) <= 0
    ]
    if len(set(chosen)) != len(chosen):
        problems.append(FieldProblem("line_ids", "names a line twice"))
    if not chosen:
        problems.append(FieldProblem("line_ids", "name at least one open line"))
    if problems:
        raise InvalidCommand(problems)
    return {lid: order.open[lid] for lid in chosen}


def _chosen(code: str, lines: dict[str, int], note: str) -> dict[str, Any]:
    verdict = {"criterion": "by_hand", "passed": True, "value": note, "unit": ""}
    return {"location": code, "excluded": False, "rank": 1, "allocated": lines,
            "verdicts": [verdict]}  # fmt: skip
