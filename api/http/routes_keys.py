"""API keys: issue, list, rotate, revoke (all need `keys:admin`; docs/security.md).

A token is shown once, in the answer that creates it (issue or rotate); dom keeps only
its hash, so a lost token is replaced by rotating, never read back. Who acted is the
acting key (`key <id>`), recorded in the key's events.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Response
from pydantic import Field

from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.responses import OrjsonResponse
from api.http.strict_route import StrictRoute
from api.http.strictness import FROM_TEXT, MULTI_LINE, Strict
from api.keyring import new_key_id, new_secret
from domain.access.api_key import ApiKey, Principal
from domain.access.application import Granted
from domain.access.scopes import Kind
from domain.access.scopes import Scope as Named

router = APIRouter(tags=["keys"], route_class=StrictRoute, dependencies=[Scope("keys:admin")])
KeyId = Annotated[UUID, Path(description="the key's id (32 hex digits, as in its token)")]
DEFAULT_GRACE_HOURS = 24


class KeyIn(Strict):
    kind: Annotated[Kind, FROM_TEXT]
    owner: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: (
        Annotated[list[Annotated[Named, FROM_TEXT]], Field(min_length=1, max_length=len(Named))]
        | None
    ) = None


class RotateIn(Strict):
    grace_hours: Annotated[int, Field(ge=0, le=720)] = DEFAULT_GRACE_HOURS


class RevokeIn(Strict):
    reason: Annotated[str, Field(max_length=500), MULTI_LINE] = ""


def acting(principal: Principal) -> str:
    return f"key {principal.key_id}"


@router.post("/keys", status_code=201)
def create_key(
    body: KeyIn, dom: ContainerDep, now: NowDep, who: PrincipalDep, answer: AnswerDep
) -> Response:
    """Issue a key; the answer shows its `token` this once."""
    scopes = None if body.scopes is None else [s.value for s in body.scopes]
    granted = dom.access.issue_key(
        new_key_id(), new_secret(), (body.kind.value, body.owner, scopes), acting(who), now
    )
    return answer("access", None, lambda: shown(granted), status_code=201)


@router.get("/keys")
def list_keys(dom: ContainerDep) -> Response:
    """Every key issued, revoked ones too; never a secret or a hash."""
    return OrjsonResponse({"items": [key_document(key) for key in dom.access.api_keys()]})


@router.post("/keys/{key_id}/rotate")
def rotate_key(
    key_id: KeyId, dom: ContainerDep, now: NowDep, who: PrincipalDep, answer: AnswerDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> Response:  # fmt: skip
    """A new secret (shown this once); the old one is taken until `grace_hours` from now
    (default 24; 0 ends it at once)."""
    grace = timedelta(hours=(body or RotateIn()).grace_hours)
    granted = dom.access.rotate_key(key_id, new_secret(), grace, acting(who), now)
    return answer("access", None, lambda: shown(granted))


@router.post("/keys/{key_id}/revoke")
def revoke_key(
    key_id: KeyId, dom: ContainerDep, now: NowDep, who: PrincipalDep, answer: AnswerDep,
    body: Annotated[RevokeIn | None, Body()] = None,
) -> Response:  # fmt: skip
    """Refuse the key from now on (in other API processes within DOM_KEY_CACHE_SECONDS);
    revoking it again records nothing."""
    reason = (body or RevokeIn()).reason
    key = dom.access.revoke_key(key_id, acting(who), reason, now)
    return answer("access", None, lambda: key_document(key))


def shown(granted: Granted) -> dict[str, Any]:
    return key_document(granted.key) | {"token": granted.token}


def key_document(key: ApiKey) -> dict[str, Any]:
    return key.as_record()
