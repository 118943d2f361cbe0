from __future__ import annotations

from eventsourcing.persistence import PersistenceError
from fastapi import APIRouter, Response

from api.http.dependencies import ContainerDep
from api.http.errors import error_body
from api.http.responses import OrjsonResponse

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


@router.get("/ready")
def ready(dom: ContainerDep) -> Response:
    """The event store and the read models answer."""
    try:
        dom.orders.recorder.max_notification_id()
        dom.store.query("SELECT 1 AS one")
    except PersistenceError as error:
        return OrjsonResponse(error_body("not_ready", str(error)), status_code=503)
    positions = {name: f.position() for name, f in dom.runtime.followers.items()}
    return OrjsonResponse({"status": "ready", "mode": dom.settings.mode, "positions": positions})
