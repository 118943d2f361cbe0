"""Builders of carrier definitions, as the API, the CLI and files take them."""

from __future__ import annotations

from typing import Any


def bands(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"up_to_grams": grams, "price": price} for grams, price in pairs]


def a_carrier(code: str = "BPOST", **changes: Any) -> dict[str, Any]:
    """bpost-like: standard (1 day at home, 2 near) and express (next day, dearer)."""
    definition: dict[str, Any] = {
        "code": code,
        "name": code.lower(),
        "adapter": "builtin",
        "tracking_url": "https://track.example/{tracking_number}",
        "tracking_prefix": "BP",
        "currency": "EUR",
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "pickup_cutoffs": {"WH-BRU": "16:00"},
        "zones": {
            "domestic": ["BE"],
            "near": ["NL", "LU", "FR", "DE"],
            "bxl": ["BE:1000-1299"],
        },
        "services": {
            "standard": {
                "service_level": "standard",
                "transit_days": {"domestic": 1, "near": 2, "bxl": 1},
                "rates": {
                    "domestic": bands((2000, "4.95"), (10000, "7.50")),
                    "near": bands((2000, "8.00"), (10000, "12.00")),
                    "bxl": bands((2000, "4.50"), (10000, "7.00")),
                },
            },
            "express": {
                "service_level": "express",
                "transit_days": {"domestic": 0, "near": 1},
                "rates": {"domestic": bands((10000, "9.90")), "near": bands((10000, "15.00"))},
            },
        },
    }
    return definition | changes


def a_cheap_slow_carrier(code: str = "SLOWPOST") -> dict[str, Any]:
    """Cheaper than BPOST everywhere it goes, and three days slower."""
    return a_carrier(
        code,
        tracking_prefix="SP",
        zones={"domestic": ["BE"]},
        services={
            "eco": {
                "service_level": "standard",
                "transit_days": {"domestic": 4},
                "rates": {"domestic": bands((30000, "3.00"))},
            }
        },
    )
