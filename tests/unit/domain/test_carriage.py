"""The choice of carrier: zones, quotes, pick-up and delivery days, and the rule."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.fulfilment.carriage import (
    Asked,
    Destination,
    Pickup,
    Quote,
    choose_service,
    delivery_date,
    quote,
    ship_date,
    zone_of,
)
from domain.fulfilment.carrier_schema import normalise_carrier
from tests.carrier_builders import a_carrier, a_cheap_slow_carrier

BPOST = normalise_carrier(a_carrier())
SLOW = normalise_carrier(a_cheap_slow_carrier())
MONDAY_MORNING = Pickup("WH-BRU", datetime(2026, 5, 4, 9, 0))  # Monday 4 May 2026
HOME = Destination("BE", "9000")


def test_a_destination_falls_in_the_most_specific_zone():
    assert zone_of(BPOST, "BE", "9000") == "domestic"
    assert zone_of(BPOST, "BE", "1050") == "bxl"  # the postal range beats the country
    assert zone_of(BPOST, "BE", "10500") == "domestic"  # not of the range's length
    assert zone_of(BPOST, "BE", None) == "domestic"
    assert zone_of(BPOST, "NL", "1011 AB") == "near"
    assert zone_of(BPOST, "ES", "28001") is None


def test_a_prefix_and_a_single_code_are_more_specific_than_a_range():
    carrier = BPOST | {"zones": {"wide": ["NL:1000-1999"], "amsterdam": ["NL:10*"],
                                 "dam": ["NL:1012"], "rest": ["NL"]}}  # fmt: skip
    assert zone_of(carrier, "NL", "1012") == "dam"
    assert zone_of(carrier, "NL", "1011") == "amsterdam"
    assert zone_of(carrier, "NL", "1500") == "wide"
    assert zone_of(carrier, "NL", "2500") == "rest"


def test_a_quote_sums_each_parcels_band_and_dates_the_delivery():
    found = quote(BPOST, "standard", HOME, [1500, 2500], MONDAY_MORNING)
    assert isinstance(found, Quote)
    assert found.price == Decimal("12.45") and found.zone == "domestic"
    assert (found.ship_date, found.delivery_date) == (date(2026, 5, 4), date(2026, 5, 5))


def test_a_service_does_not_serve_a_zone_without_rate_or_transit_or_a_band_that_fits():
    assert "no zone of BPOST holds ES" in str(quote(BPOST, "standard", Destination("ES"), [1],
                                                    MONDAY_MORNING))  # fmt: skip
    # express has no transit time nor rate for the bxl zone
    assert "zone bxl" in str(
        quote(BPOST, "express", Destination("BE", "1000"), [1], MONDAY_MORNING)
    )
    heavy = quote(BPOST, "standard", HOME, [1000, 12000], MONDAY_MORNING)
    assert heavy == "a parcel of 12000 g is over its heaviest band in zone domestic (10000 g)"


def test_after_the_cutoff_or_on_a_day_off_the_parcels_leave_the_next_working_day():
    late = Pickup("WH-BRU", datetime(2026, 5, 4, 16, 0))  # the carrier's cut-off at WH-BRU
    assert ship_date(BPOST, late) == date(2026, 5, 5)
    elsewhere = Pickup("WH-GNT", datetime(2026, 5, 4, 16, 30), cutoff="17:00")  # the location's
    assert ship_date(BPOST, elsewhere) == date(2026, 5, 4)
    friday_evening = Pickup("WH-BRU", datetime(2026, 5, 8, 18, 0))
    assert ship_date(BPOST, friday_evening) == date(2026, 5, 11)
    saturday = Pickup("WH-BRU", datetime(2026, 5, 9, 8, 0))
    assert ship_date(BPOST, saturday) == date(2026, 5, 11)
    assert delivery_date(BPOST, date(2026, 5, 8), 2) == date(2026, 5, 12)  # over the weekend
    assert delivery_date(BPOST, date(2026, 5, 8), 0) == date(2026, 5, 8)


def test_with_nothing_asked_the_cheapest_is_chosen_and_every_candidate_explained():
    choice = choose_service([BPOST, SLOW], HOME, [1500], MONDAY_MORNING, Asked())
    assert choice.chosen is not None
    assert (choice.chosen.carrier, choice.chosen.service) == ("SLOWPOST", "eco")
    assert choice.rule.startswith("the cheapest")
    explained = {(c["carrier"], c["service"]): c for c in choice.as_record()["candidates"]}
    assert explained[("SLOWPOST", "eco")]["chosen"] is True
    assert explained[("BPOST", "standard")]["passed_over"] == "dearer or later than SLOWPOST eco"
    assert explained[("BPOST", "standard")]["price"] == "4.95"


def test_the_service_level_the_order_asked_for_wins_over_a_cheaper_one():
    choice = choose_service([BPOST, SLOW], HOME, [1500], MONDAY_MORNING, Asked("express"))
    assert choice.chosen is not None and choice.chosen.service == "express"
    explained = {c["service"]: c for c in choice.candidates}
    assert explained["eco"]["passed_over"] == "service level standard, not express"


def test_the_cheapest_that_delivers_by_the_date_wins():
    by_thursday = Asked(deliver_by=date(2026, 5, 7))
    choice = choose_service([BPOST, SLOW], HOME, [1500], MONDAY_MORNING, by_thursday)
    assert choice.chosen is not None
    assert (choice.chosen.carrier, choice.chosen.service) == ("BPOST", "standard")
    [eco] = [c for c in choice.candidates if c["service"] == "eco"]
    assert eco["passed_over"] == "delivers 2026-05-08, after the deliver-by date 2026-05-07"
    by_friday = Asked(deliver_by=date(2026, 5, 8))
    assert choose_service([BPOST, SLOW], HOME, [1500], MONDAY_MORNING, by_friday).chosen == (
        quote(SLOW, "eco", HOME, [1500], MONDAY_MORNING))  # fmt: skip


def test_nothing_fits_is_a_choice_of_none_saying_why():
    choice = choose_service([BPOST, SLOW], Destination("ES"), [1500], MONDAY_MORNING, Asked())
    assert choice.chosen is None and choice.reason is not None
    assert choice.reason.startswith("no carrier serves this shipment")
    assert all("no zone" in c["passed_over"] for c in choice.candidates)
    too_soon = Asked(deliver_by=date(2026, 5, 1))
    assert choose_service([BPOST], HOME, [1], MONDAY_MORNING, too_soon).chosen is None


def test_an_inactive_carrier_is_passed_over_and_the_warehouse_may_name_one():
    off = SLOW | {"active": False}
    choice = choose_service([BPOST, off], HOME, [1500], MONDAY_MORNING, Asked())
    assert choice.chosen is not None and choice.chosen.carrier == "BPOST"
    assert {"carrier": "SLOWPOST", "service": "eco",
            "passed_over": "the carrier is not active"} in choice.candidates  # fmt: skip
    named = Asked("standard", carrier="bpost", service="express")
    by_hand = choose_service([BPOST, SLOW], HOME, [1500], MONDAY_MORNING, named)
    assert by_hand.chosen is not None and by_hand.chosen.service == "express"
    assert by_hand.rule == "asked by the warehouse: BPOST express"
