"""Channel configuration in the orders context: define, read, and the terms an order gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.errors import FieldProblem, InvalidCommand, NotFound
from domain.orders.channel import (
    CHANNEL_LIST_ID,
    Channel,
    ChannelDefinition,
    ChannelList,
    channel_id_for,
    defaults,
)
from domain.orders.payment_report import waits_for_payment
from domain.orders.placement import PlaceOrder
from domain.processing import ContextApplication, Outcome, retrying
from domain.promise import Terms
from domain.recordings import last_notification_id


class ChannelConfiguration(ContextApplication):
    def define_channel(
        self, definition: ChannelDefinition, now: datetime, time_zones: frozenset[str] | None
    ) -> tuple[bool, Outcome]:
        """Configure a channel, or record what changed; returns (created, outcome). The same
        definition again records nothing."""
        definition.problems(time_zones).raise_if_any()
        record = definition.as_record()

        def attempt() -> tuple[bool, Outcome]:
            channel = self.find(Channel, channel_id_for(definition.code))
            if channel is None:
                channel = Channel(definition=record, at=now)
                listed = self.find(ChannelList, CHANNEL_LIST_ID) or ChannelList()
                listed.add(definition.code)
                return True, Outcome(True, last_notification_id(self.save(channel, listed)))
            if not channel.redefine(record, now):
                return False, Outcome(False, None)
            return False, Outcome(True, last_notification_id(self.save(channel)))

        return retrying(attempt)

    def get_channel(self, code: str) -> Channel:
        channel = self.find(Channel, channel_id_for(code))
        if channel is None:
            raise NotFound(f"channel {code} is not configured (its orders get the defaults)")
        return channel

    def channels(self) -> list[Channel]:
        listed = self.find(ChannelList, CHANNEL_LIST_ID)
        codes = sorted(listed.codes) if listed is not None else []
        return [self.get_channel(code) for code in codes]

    def channel_settings(self, code: str) -> tuple[ChannelDefinition, bool]:
        """A channel's settings and whether it is configured (else: the defaults)."""
        channel = self.find(Channel, channel_id_for(code))
        return (channel.settings, True) if channel is not None else (defaults(code), False)

    def terms_for(
        self, code: str, asked: str | None, known: dict[str, tuple[ChannelDefinition, bool]]
    ) -> Terms:
        """The service level a channel gives an order (or a promise) asking for `asked`
        (`known` caches the channels read for one batch). A configured channel refuses a
        level it lacks: InvalidCommand naming `service_level`."""
        if code not in known:
            known[code] = self.channel_settings(code)
        settings, configured = known[code]
        if configured and asked is not None and asked not in settings.service_levels:
            levels = ", ".join(sorted(settings.service_levels))
            raise InvalidCommand([FieldProblem("service_level", f"channel {code} offers {levels}")])
        return settings.terms(asked)

    def with_terms(
        self, command: PlaceOrder, known: dict[str, tuple[ChannelDefinition, bool]]
    ) -> PlaceOrder:
        """The command with the service level its channel gives it, and whether the channel's
        payment rule holds it until its money is in."""
        terms = self.terms_for(command.channel, command.service_level, known)
        rules = known[command.channel][0].payment_rules
        waits = waits_for_payment(rules, command.payment, command.total)
        return replace(command, terms=terms, waits_for_payment=waits)
