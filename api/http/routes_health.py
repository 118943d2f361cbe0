"""Liveness, readiness and metrics, for load balancers, orchestrators and dashboards."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from pydantic import BaseModel

from adapters.relay_positions import RelayPositions
from api.bootstrap import Container
from api.http.auth import Scope
from api.http.dependencies import ContainerDep
from api.http.responses import OrjsonResponse
from api.http.strict_route import StrictRoute
from projections.parked import parked_items

router = APIRouter(tags=["operations"], route_class=StrictRoute)
READY_WITHIN = 0.9  # seconds: /ready answers within a second, whatever the stores do
RETRY_AFTER = "5"
PARKED_NOW = Gauge("dom_parked_reactions", "Reactions parked and not yet resolved", ["policy"])


@router.get("/health")
def health() -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


class FollowerReport(BaseModel):
    position: int
    state: Literal["running", "failing", "stalled"] = "running"
    error: str | None = None
    notification_id: int | None = None
    topic: str | None = None
    since: str | None = None


class RelayReport(BaseModel):
    """How far `dom relay` has published a context to JetStream (acknowledged)."""

    position: int
    latest: int | None = None
    behind: int | None = None
    updated_at: str


class ReadyReport(BaseModel):
    status: Literal["ready", "degraded", "unavailable"]
    mode: Literal["memory", "sqlite", "postgres"]
    causes: list[str]
    followers: dict[str, FollowerReport]
    relay: dict[str, RelayReport] = {}


@router.get(
    "/ready",
    response_model=ReadyReport,
    responses={
        503: {
            "model": ReadyReport,
            "description": "a store does not answer, or its disk is full (with Retry-After)",
        }
    },
)
async def ready(dom: ContainerDep) -> Response:
    """Whether this process can serve: `ready`, `degraded` (commands are taken, but a
    follower is stalled or failing: named with its position and error) or `unavailable`
    (a store does not answer, or its disk is full: 503 with Retry-After)."""
    try:
        report = await asyncio.wait_for(run_in_threadpool(_probe, dom), READY_WITHIN)
    except TimeoutError:
        report = {"causes": [f"a store did not answer within {READY_WITHIN} s"], "down": True}
    followers = dom.runtime.health()
    causes: list[str] = report["causes"]
    recorded = {n: s for n, s in report.get("recorded", {}).items() if n not in followers}
    for name, status in {**recorded, **_unhealthy(followers)}.items():
        causes.append(f"{name} {status['state']}: {status.get('error', '')}")
    status = "unavailable" if report.get("down") else "degraded" if causes else "ready"
    body = {"status": status, "mode": dom.settings.mode, "causes": causes,
            "followers": followers, "relay": report.get("relay", {})}  # fmt: skip
    if status == "unavailable":
        return OrjsonResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER})
    return OrjsonResponse(body)


def _probe(dom: Container) -> dict[str, Any]:
    """Each store answers; free disk space (embedded mode); followers other processes
    recorded as stalled or failing; how far the relay got in each context."""
    report: dict[str, Any] = {"causes": [], "down": False, "recorded": {}}
    latest: dict[str, int] = {}
    probes: list[tuple[str, Any]] = [
        *(
            (f"{name} store", app.recorder.max_notification_id)
            for name, app in dom.contexts.items()
        ),
        ("read store", lambda: dom.store.query("SELECT 1 AS one")),
    ]
    for name, probe in probes:
        try:
            found = probe()
            if name.endswith(" store") and name != "read store":
                latest[name.removesuffix(" store")] = found or 0
        except Exception as error:
            report["causes"].append(f"{name}: {type(error).__name__}: {error}")
            report["down"] = True
    if dom.settings.mode == "sqlite":
        free = shutil.disk_usage(dom.settings.data_dir).free
        if free < dom.settings.min_free_bytes:
            report["causes"].append(f"disk full: {free} bytes free in {dom.settings.data_dir}")
            report["down"] = True
    if not report["down"]:
        rows = dom.store.query("SELECT * FROM follower_status")
        report["recorded"] = {row["name"]: row for row in rows}
        report["relay"] = _relay(dom, latest)
    return report


def _relay(dom: Container, latest: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Each context's relay position beside its latest event (none until a relay ran)."""
    relayed = {}
    for row in RelayPositions(dom.store, dom.settings.relay_stream).report():
        context, position = row["context"], int(row["notification_id"])
        newest = latest.get(context)
        behind = None if newest is None else max(newest - position, 0)
        relayed[context] = {"position": position, "latest": newest, "behind": behind,
                            "updated_at": row["updated_at"]}  # fmt: skip
    return relayed


def _unhealthy(followers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in followers.items() if s.get("state", "running") != "running"}


@router.get("/metrics", dependencies=[Scope("operations")], response_class=Response)
def metrics(dom: ContainerDep) -> Response:
    """Prometheus text format: follower positions, stalls, failures, parked reactions."""
    counts: dict[str, int] = {}
    for item in parked_items(dom.store):
        counts[item["policy"]] = counts.get(item["policy"], 0) + 1
    for name in dom.runtime.followers:
        if dom.runtime.policy(name) is not None:
            PARKED_NOW.labels(name).set(counts.get(name, 0))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
