"""Carriers as data: each carrier's services, rates, transit times, cut-offs and working
days (docs/carriers.md), versioned; the same definition again records nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import Field

from api.http.auth import Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.responses import OrjsonResponse
from api.http.strict_route import StrictRoute
from domain.errors import FieldProblem, InvalidCommand
from domain.fulfilment.carrier import Carrier
from domain.fulfilment.carrier_schema import CARRIER_CODE, CarrierSpec

router = APIRouter(tags=["carriers"], route_class=StrictRoute)
Code = Annotated[str, Path(pattern=CARRIER_CODE)]


class CarrierIn(CarrierSpec):
    """A carrier's definition; its code is the path's (given in the body too, it must agree)."""

    code: Annotated[str, Field(pattern=CARRIER_CODE)] | None = None  # type: ignore[assignment]


@router.put("/carriers/{code}", dependencies=[Scope("carriers:admin")])
def put_carrier(
    code: Code, body: CarrierIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Define a carrier, or its next version; the same definition as its current version
    records nothing (`changed`: false). Checked as `dom carriers load` checks a file."""
    if body.code is not None and body.code.upper() != code.upper():
        raise InvalidCommand([FieldProblem("code", f"is not the path's code {code.upper()}")])
    definition = body.model_dump(mode="json", exclude_none=True) | {"code": code}
    _, outcome = dom.fulfilment.define_carrier(definition, now)

    def document() -> dict[str, Any]:
        return carrier_document(dom.fulfilment.get_carrier(code)) | {"changed": outcome.changed}

    return answer("fulfilment", outcome.notification_id, document)


@router.get("/carriers", dependencies=[Scope("carriers:admin")])
def list_carriers(dom: ContainerDep) -> Response:
    """Every carrier by code, with its current version."""
    return OrjsonResponse({"items": [carrier_document(c) for c in dom.fulfilment.carriers()]})


@router.get("/carriers/{code}", dependencies=[Scope("carriers:admin")])
def get_carrier(code: Code, dom: ContainerDep) -> Response:
    return OrjsonResponse(carrier_document(dom.fulfilment.get_carrier(code)))


def carrier_document(carrier: Carrier) -> dict[str, Any]:
    defined_at = carrier.defined_at.isoformat() if carrier.defined_at else None
    return {"version": carrier.revision, "defined_at": defined_at, **carrier.definition}
