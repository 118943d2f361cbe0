"""The point an order ships to and a location stands at: recorded once, read back the same,
and events recorded before it was kept still load."""

from __future__ import annotations

from dataclasses import replace

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.location import Location
from domain.orders.order import Order
from domain.orders.placement import Address, Located
from tests.builders import NOW, an_order
from tests.stock_builders import a_location

ANTWERP = Address("Ann Smith", "Meir 1", "2000", "Antwerpen", "BE", latitude=51.2, longitude=4.4)
PARIS = Located(48.85, 2.35, {"method": "city", "source": "GeoNames 2988507"})


def test_an_order_placed_before_destinations_were_recorded_keeps_its_given_point():
    placed = Order.place(an_order(shipping_address=ANTWERP), NOW).placement
    del placed["destination"]  # as Order.Placed events of before carry it
    wanted = FulfilmentOrder.from_placement("6f1d2a4e-0c1b-4c55-9a53-3b0e8f9d7a10", placed)
    source = wanted.to_source()
    assert source.located and source.located_by == {"method": "given"}


def test_a_fulfilment_order_received_before_located_by_was_kept_reads_it_from_its_point():
    order = FulfilmentOrder.from_placement(
        "6f1d2a4e-0c1b-4c55-9a53-3b0e8f9d7a10",
        Order.place(an_order(shipping_address=ANTWERP), NOW).placement,
    )
    del order.order["located_by"]  # as FulfilmentOrder.Received events of before carry it
    assert order.to_source().located_by == {"method": "given"}


def test_a_retry_located_elsewhere_is_the_same_placement_a_changed_address_is_not():
    command = an_order(shipping_address=ANTWERP)
    unlocated = replace(command, shipping_address=replace(
        command.shipping_address, latitude=None, longitude=None))  # fmt: skip
    order = Order.place(replace(unlocated, located=PARIS), NOW)
    assert order.placement["destination"]["located_by"]["method"] == "city"
    elsewhere = Located(49.85, 2.35, {"method": "city", "source": "GeoNames 1"})
    assert order.same_placement(replace(unlocated, located=elsewhere), NOW)
    assert order.same_placement(unlocated, NOW)  # not found this time: still a retry
    assert not order.same_placement(command, NOW)  # the channel's own coordinates are content


def test_an_identical_profile_of_a_location_recorded_before_located_by_records_nothing():
    profile = a_location()
    location = Location.register(profile, NOW)
    del location.profile["located_by"]  # as Location.Registered events of before carry it
    assert not location.redefine(profile, NOW)
