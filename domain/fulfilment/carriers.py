"""The fulfilment context's carrier commands: define a carrier, list and read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import FieldProblem, InvalidCommand
from domain.fulfilment.carrier import (
    CARRIER_DIRECTORY_ID,
    Carrier,
    CarrierDirectory,
    carrier_id_for,
)
from domain.fulfilment.carrier_schema import normalise_carrier
from domain.fulfilment.shipping import ShipmentSteps
from domain.processing import Outcome, retrying
from domain.recordings import last_notification_id


class CarrierCommands(ShipmentSteps):
    def define_carrier(self, definition: Any, now: datetime) -> tuple[int, Outcome]:
        """Record a carrier's definition as its next version (creating the carrier when
        new); the same content as its current version records nothing. Returns the
        version in force and the outcome."""
        normalised = self.checked_carrier(definition)
        code = normalised["code"]

        def attempt() -> tuple[int, Outcome]:
            carrier = self.find(Carrier, carrier_id_for(code)) or Carrier(code=code)
            if not carrier.define(normalised, now):
                return carrier.revision, Outcome(False, None)
            directory = self.find(CarrierDirectory, CARRIER_DIRECTORY_ID) or CarrierDirectory()
            directory.add(code)
            saved = [carrier, directory] if directory.pending_events else [carrier]
            return carrier.revision, Outcome(True, last_notification_id(self.save(*saved)))

        return retrying(attempt)

    def checked_carrier(self, definition: Any) -> dict[str, Any]:
        """The definition checked and normalised, its adapter installed; else InvalidCommand."""
        normalised = normalise_carrier(definition)
        if normalised["adapter"] not in self.carrier_adapters:
            known = ", ".join(sorted(self.carrier_adapters)) or "none"
            message = f"unknown adapter {normalised['adapter']!r}; installed: {known}"
            raise InvalidCommand([FieldProblem("adapter", message)])
        return normalised

    def carriers(self) -> list[Carrier]:
        """Every carrier defined, by code."""
        directory = self.find(CarrierDirectory, CARRIER_DIRECTORY_ID)
        found = [
            self.find(Carrier, carrier_id_for(code))
            for code in (directory.codes if directory else [])
        ]
        return sorted((c for c in found if c is not None), key=lambda c: c.code)

    def get_carrier(self, code: str) -> Carrier:
        return self.existing(Carrier, carrier_id_for(code), f"carrier {code.upper()}")
