"""Request and query models of the HTTP API; what every model refuses is in `strictness`."""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from api.http.patterns import visible_class
from api.http.strictness import MULTI_LINE, Moment, StrictQuery
from api.http.strictness import Strict as Strict  # routes_routing's models derive from it here
from domain.money import MINOR_UNITS
from domain.orders.order import OrderStatus
from domain.orders.payment_report import METHODS, PaymentReport
from domain.orders.placement import MAX_QUANTITY, Address, Customer, Line, PlaceOrder
from projections.order_status_queries import CURSOR


def _known_country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value.upper()) is None:
        raise PydanticCustomError("code", "not an ISO 3166-1 alpha-2 country code")
    if value != value.upper():
        raise PydanticCustomError(
            "code", "an ISO code is written in upper case: {upper}", {"upper": value.upper()}
        )
    return value


COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)
# One rule for ISO codes (countries here, currencies, and the countries of routing rules):
# upper case, exactly as the published lists write them.
CountryCode = Annotated[
    str,
    Field(min_length=2, max_length=2, examples=["BE"], json_schema_extra={"enum": COUNTRIES}),
    AfterValidator(_known_country),
]
CURRENCIES = sorted(MINOR_UNITS)  # those whose minor units dom knows


def _known_currency(value: str) -> str:
    if value.upper() not in MINOR_UNITS:
        raise PydanticCustomError(
            "code", "not an ISO 4217 currency code dom knows the minor units of"
        )
    if value != value.upper():
        raise PydanticCustomError(
            "code", "an ISO code is written in upper case: {upper}", {"upper": value.upper()}
        )
    return value


CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3, examples=["EUR"], json_schema_extra={"enum": CURRENCIES}),
    AfterValidator(_known_currency),
]
# domain.orders.placement's rule (something@host.tld, no blanks), with the lengths DNS and
# mail allow: a local part of at most 64 characters, and 254 in all.
_EMAIL_PART = visible_class(excluded="@")
EMAIL_PATTERN = f"^{_EMAIL_PART}{{1,64}}@{_EMAIL_PART}{{1,63}}\\.{_EMAIL_PART}{{1,125}}$"
DecimalString = Annotated[str, Field(pattern=r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$", examples=["19.90"])]
Text = Annotated[str, Field(min_length=1, max_length=200)]
LineId = Annotated[str, Field(min_length=1, max_length=64)]
Reason = Annotated[str, Field(min_length=1, max_length=500), MULTI_LINE]


class CustomerIn(Strict):
    name: Text
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, examples=["ann@example.com"])]
    phone: Annotated[str, Field(max_length=40)] | None = None


class AddressIn(Strict):
    name: Text
    line1: Text
    line2: Annotated[str, Field(max_length=200)] | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    city: Text
    region: Annotated[str, Field(max_length=100)] | None = None
    country: CountryCode
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class LineIn(Strict):
    line_id: LineId
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
    unit_price: DecimalString
    group: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class PaymentIn(Strict):
    """How the order is paid, as the channel knows it (docs/payments.md)."""

    method: Annotated[str, Field(json_schema_extra={"enum": list(METHODS)})]
    amount: DecimalString
    provider: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9._-]*$")] = ""
    reference: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    expires_at: Moment | None = None
    due_on: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] | None = None

    def to_report(self) -> PaymentReport:
        return PaymentReport(**self.model_dump())


class PlaceOrderIn(Strict):
    # Left out with a channel's key: the key's channel (api/http/ownership.py); another
    # channel than the key's is refused. Other keys name it.
    channel: (
        Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", examples=["webshop"])] | None
    ) = None
    channel_order_id: Annotated[str, Field(min_length=1, max_length=128)]
    placed_at: Moment
    currency: CurrencyCode
    customer: CustomerIn
    shipping_address: AddressIn
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    shipping_price: DecimalString = "0"
    discount_total: DecimalString = "0"
    total: DecimalString
    service_level: Annotated[str, Field(max_length=40)] | None = None
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)
    ] = []
    # Click & collect: the store the customer collects at (sourcing uses only that store).
    pickup_location: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")] | None = (
        None
    )
    # 0 (normal) to 9 (most urgent): routing rules may select strategies by it.
    priority: Annotated[int, Field(ge=0, le=9)] | None = None
    # A marketplace's own promise; without them dom promises by the channel's service level.
    ship_by: Moment | None = None
    deliver_by: Moment | None = None
    # How it is paid: with some methods the channel's rule holds it until the money is in.
    payment: PaymentIn | None = None

    def to_command(self, channel: str | None = None) -> PlaceOrder:
        """The command, for `channel` (the key's, api/http/ownership.placing_channel)."""
        placed_for = channel or self.channel
        assert placed_for is not None, "the channel is decided by placing_channel"
        return PlaceOrder(
            channel=placed_for,
            channel_order_id=self.channel_order_id,
            placed_at=self.placed_at,
            currency=self.currency,
            customer=Customer(**self.customer.model_dump()),
            shipping_address=Address(**self.shipping_address.model_dump()),
            lines=tuple(Line(**line.model_dump()) for line in self.lines),
            shipping_price=self.shipping_price,
            discount_total=self.discount_total,
            total=self.total,
            service_level=self.service_level,
            tags=tuple(self.tags),
            pickup_location=self.pickup_location,
            priority=self.priority,
            ship_by=self.ship_by,
            deliver_by=self.deliver_by,
            payment=self.payment.to_report() if self.payment is not None else None,
        )


class CancelIn(Strict):
    reason: Reason
    line_ids: Annotated[list[LineId], Field(min_length=1, max_length=500)] | None = None


class HoldIn(Strict):
    reason: Reason


class OrderQuery(StrictQuery):
    status: OrderStatus | None = None
    channel: Annotated[str, Field(max_length=64)] | None = None
    placed_from: Moment | None = None
    placed_to: Moment | None = None
    q: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: (
        Annotated[
            str,
            Field(
                pattern=CURSOR,
                examples=[
                    "2026-11-26T09:00:00.000000Z_6f1d2a4e-0c1b-4c55-9a53-3b0e8f9d7a10"
                    ".5d41402abc4b2a76b9719d911017c592"
                ],
            ),
        ]
        | None
    ) = None
