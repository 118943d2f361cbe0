"""Channels as configuration (service levels, at-risk warning, OTIF targets) and the
delivery promise a product page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from api.bootstrap import Container
from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import check_channel, own_channel
from api.http.responses import OrjsonResponse
from api.http.schemas import CountryCode, DecimalString
from api.http.schemas_stock import TIME_ZONES, Sku
from api.http.strict_route import StrictRoute
from api.http.strictness import Strict, StrictQuery
from domain.orders.channel import KINDS, LEVEL_NAME, TARGETS, ChannelDefinition
from domain.orders.payment_report import DEFAULT_RULES, METHODS
from domain.promise import Calendar, delivery_calendar, order_within, promise, spoken
from projections.promise_queries import shipping_locations

router = APIRouter(tags=["channels"], route_class=StrictRoute)
ChannelCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
Days = Annotated[int, Field(ge=0, le=60)]
Percent = Annotated[float, Field(ge=0, le=100)]


class ServiceLevelIn(Strict):
    handling_days: Days  # working days at the location before it ships (0: the same day)
    transit_days: Days  # the carrier's working days from shipping to delivery


class TargetsIn(Strict):
    late_shipment_rate_max: Percent = TARGETS["late_shipment_rate_max"]
    valid_tracking_rate_min: Percent = TARGETS["valid_tracking_rate_min"]
    cancellation_rate_max: Percent = TARGETS["cancellation_rate_max"]
    otif_min: Percent = TARGETS["otif_min"]


class PaymentRuleIn(Strict):
    ships_unpaid: bool
    up_to: DecimalString | None = None


class ChannelIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Annotated[str, Field(json_schema_extra={"enum": list(KINDS)})] = "webshop"
    time_zone: Annotated[
        str, Field(max_length=64, json_schema_extra={"enum": sorted(TIME_ZONES)})
    ] = "UTC"
    service_levels: Annotated[
        dict[Annotated[str, Field(pattern=f"^{LEVEL_NAME}$")], ServiceLevelIn],
        Field(min_length=1, max_length=20),
    ]
    default_service_level: Annotated[str, Field(pattern=f"^{LEVEL_NAME}$")]
    at_risk_hours: Annotated[int, Field(ge=0, le=168)] = 4
    return_days: Annotated[int, Field(ge=0, le=365)] = 30
    targets: TargetsIn = TargetsIn()
    payment_rules: Annotated[
        dict[Annotated[str, Field(json_schema_extra={"enum": list(METHODS)})], PaymentRuleIn],
        Field(max_length=len(METHODS)),
    ] = {}

    def to_definition(self, code: str) -> ChannelDefinition:
        values = self.model_dump(exclude={"payment_rules"})
        rules = {method: rule.model_dump(exclude_none=True)
                 for method, rule in self.payment_rules.items()}  # fmt: skip
        return ChannelDefinition(code=code, payment_rules=DEFAULT_RULES | rules, **values)


@router.put(
    "/channels/{code}",
    dependencies=[Scope("channels:admin")],
    responses={201: {"description": "configured"}},
)
def put_channel(
    code: ChannelCode, body: ChannelIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Configure a channel, or record what changed (a new version); the same definition
    again records nothing."""
    created, outcome = dom.orders.define_channel(
        body.to_definition(code), now, frozenset(TIME_ZONES)
    )
    return answer("orders", outcome.notification_id, lambda: channel_document(dom, code),
                  status_code=201 if created else 200)  # fmt: skip


@router.get("/channels", dependencies=[Scope("orders:read")])
def get_channels(dom: ContainerDep, principal: PrincipalDep) -> Response:
    """Every configured channel; a channel key sees its own only."""
    confined = own_channel(principal)
    channels = [c for c in dom.orders.channels() if confined in (None, c.definition["code"])]
    return OrjsonResponse({"items": [_document(c) for c in channels]})


@router.get(
    "/channels/{code}",
    dependencies=[Scope("orders:read")],
    responses={404: {"description": "not configured: its orders get the defaults"}},
)
def get_channel(code: ChannelCode, dom: ContainerDep, principal: PrincipalDep) -> Response:
    check_channel(principal, code)
    return OrjsonResponse(channel_document(dom, code))


def channel_document(dom: Container, code: str) -> dict[str, Any]:
    return _document(dom.orders.get_channel(code))


def _document(channel: Any) -> dict[str, Any]:
    return channel.definition | {"version": channel.version, "defined_at": channel.defined_at}


class PromiseQuery(StrictQuery):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    country: CountryCode
    postal_code: (
        Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")] | None
    ) = None
    channel: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    service_level: Annotated[str, Field(pattern=f"^{LEVEL_NAME}$")] | None = None


@router.get("/promise", dependencies=[Scope("inventory:read")])
async def get_promise(
    query: Annotated[PromiseQuery, Query()], dom: ContainerDep, now: NowDep, principal: PrincipalDep
) -> Response:
    """What a product page shows: order within how long, and the day it arrives, from the
    locations that have the units now (the earliest delivery among them)."""
    check_channel(principal, query.channel)
    return OrjsonResponse(await run_in_threadpool(promise_for, dom, query, now))


def promise_for(dom: Container, query: PromiseQuery, now: datetime) -> dict[str, Any]:
    terms = dom.orders.terms_for(query.channel, query.service_level, {})
    asked = {"sku": query.sku, "quantity": query.quantity, "channel": query.channel,
             "country": query.country, "service_level": terms.service_level,
             "handling_days": terms.handling_days, "transit_days": terms.transit_days}  # fmt: skip
    options = []
    for profile in shipping_locations(dom.store, query.sku, query.quantity, query.channel):
        ships = Calendar(profile["time_zone"], profile["country"], tuple(profile["working_days"]),
                         profile["cutoff_time"])  # fmt: skip
        made = promise(now, terms, ships, delivery_calendar(ships, query.country))
        within = order_within(now, ships)
        options.append({
            "location": profile["code"], "units": profile["available"],
            "ship_by": made.ship_by, "deliver_by": made.deliver_by,
            "order_within_seconds": int(within.total_seconds()), "order_within": spoken(within),
            "arrives": made.deliver_by.astimezone(ships.zone).strftime("%A %-d %B"),
            "arrives_on": made.deliver_by.astimezone(ships.zone).date().isoformat(),
        })  # fmt: skip
    if not options:
        return asked | {"available": False, "reason": f"no active location serving {query.channel} "
                        f"has {query.quantity} of {query.sku} available"}  # fmt: skip
    options.sort(key=lambda o: (o["deliver_by"], -o["order_within_seconds"]))
    best = options[0]
    return asked | {"available": True} | best | {"options": options}
