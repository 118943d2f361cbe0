"""The StockItem aggregate: one SKU at one location, never reserved below zero.

On hand changes by counts (absolute, with the time of the count) and by
deltas (received, adjusted, damaged, dispatched). A count says what was on
the shelf at `counted_at`; deltas recorded after that moment are applied on
top of it, so a late-arriving count neither forgets a receipt nor brings
back a unit already dispatched. A count older than the last applied one is
ignored. Reservations are keyed by order and line: never dropped by a
count, released on cancel, consumed on dispatch.

Every event that can raise what is available carries its business time
(`counted_at`, or `at`: the time of the command), so that what reacts to it
decides with that time and never with the library's recording stamp.
ReservationsReleased and SafetyStockSet gained `at` in version 2; stored
version 1 events are read with `at` None (the time is not known).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, FieldProblem, InsufficientStock, InvalidCommand, Problems

STOCK_NAMESPACE = UUID("a3e4a0b2-7d0f-4c8e-9b0e-2c6f1e8d4a55")
# How far back movements are kept to place a late count in time; older counts are refused.
MOVEMENT_WINDOW = timedelta(days=2)


def stock_item_id_for(location_code: str, sku: str) -> UUID:
    return uuid5(STOCK_NAMESPACE, f"{location_code.upper()}\x1f{sku}")


def reservation_key(order_id: str, line_id: str) -> str:
    return f"{order_id}/{line_id}"


def _time_not_recorded(state: dict[str, Any]) -> None:
    """Version 1 events were recorded without their time: it is unknown (None), not guessed."""
    state["at"] = None


class StockItem(Aggregate):
    class Created(Aggregate.Created):
        location_code: str
        sku: str

    class SafetyStockSet(Aggregate.Event):
        class_version = 2
        quantity: int
        levels: dict[str, int]
        at: datetime | None
        upcast_v1_v2 = staticmethod(_time_not_recorded)

    class ReservationsReleased(Aggregate.Event):
        class_version = 2
        keys: list[str]
        levels: dict[str, int]
        at: datetime | None
        upcast_v1_v2 = staticmethod(_time_not_recorded)

    @staticmethod
    def create_id(location_code: str, sku: str) -> UUID:
        return stock_item_id_for(location_code, sku)

    @event(Created)
    def __init__(self, location_code: str, sku: str) -> None:
        self.location_code = location_code
        self.sku = sku
        self.on_hand = 0
        self.safety_stock = 0
        self.reservations: dict[str, int] = {}
        self.reserved_units = 0  # the sum of the reservations, kept as they change
        self.last_count_at: datetime | None = None
        # Deltas since the last applied count, so that a count can be placed in time.
        self.recent_deltas: list[tuple[datetime, int]] = []
        self.horizon: datetime | None = None  # movements before this are forgotten
        # Movements applied, by reference, with what each was ("received 5"): a retry of
        # one changes nothing, another movement under its reference is refused.
        self.recent_movements: dict[str, str] = {}
        self.movement_times: list[tuple[datetime, str]] = []

    def __deepcopy__(self, memo: dict[int, object]) -> StockItem:
        """Copy the containers, share the immutable values: the repository's cache
        hands out copies on every read, so this is on the reservation hot path."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for name, value in self.__dict__.items():
            if isinstance(value, dict | list | set):
                copy.__dict__[name] = type(value)(value)
        return copy

    @property
    def reserved(self) -> int:
        return self.reserved_units

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock

    # --- on hand ----------------------------------------------------------------

    def count(self, quantity: int, counted_at: datetime) -> bool:
        """Apply an absolute count; False when it is not newer than the last one applied."""
        _check_quantity("quantity", quantity, allow_zero=True)
        if self.last_count_at is not None and counted_at <= self.last_count_at:
            return False
        if self.horizon is not None and counted_at < self.horizon:
            raise InvalidCommand(
                [_problem("counted_at", "older than the movements kept to place it")]
            )
        later = sum(delta for at, delta in self.recent_deltas if at > counted_at)
        on_hand = max(0, quantity + later)
        if on_hand == self.on_hand and self.last_count_at is not None:
            self._count_confirmed(counted_at=counted_at)
            return True
        self._counted(quantity=quantity, counted_at=counted_at, levels=self._after(on_hand=on_hand))
        return True

    def receive(self, quantity: int, reference: str, now: datetime) -> bool:
        """Add received units; a retry with the same reference changes nothing."""
        _check_quantity("quantity", quantity)
        if self._applied(reference, _movement("received", quantity)):
            return False
        self._received(
            quantity=quantity,
            reference=reference,
            at=now,
            levels=self._after(self._uncounted(quantity, now)),
        )
        return True

    def adjust(self, delta: int, reason: str, reference: str, now: datetime) -> bool:
        if self._applied(reference, _movement("adjusted", delta)):
            return False
        if delta == 0:
            raise InvalidCommand([_problem("quantity", "an adjustment must not be 0")])
        if self.on_hand + delta < 0:
            raise InsufficientStock(
                f"{self.sku} at {self.location_code}: {delta} would take on hand below 0 "
                f"({self.on_hand} on hand)"
            )
        self._adjusted(
            delta=delta,
            reason=reason,
            reference=reference,
            at=now,
            levels=self._after(self._uncounted(delta, now)),
        )
        return True

    def record_damage(self, quantity: int, reason: str, reference: str, now: datetime) -> bool:
        _check_quantity("quantity", quantity)
        if self._applied(reference, _movement("damaged", quantity)):
            return False
        if quantity > self.on_hand:
            raise InsufficientStock(
                f"{self.sku} at {self.location_code}: {quantity} damaged, more than on hand "
                f"({self.on_hand})"
            )
        self._damaged(
            quantity=quantity,
            reason=reason,
            reference=reference,
            at=now,
            levels=self._after(self._uncounted(-quantity, now)),
        )
        return True

    def set_safety_stock(self, quantity: int, now: datetime) -> bool:
        _check_quantity("safety_stock", quantity, allow_zero=True)
        if quantity == self.safety_stock:
            return False
        self._safety_stock_set(quantity=quantity, levels=self._after(safety_stock=quantity), at=now)
        return True

    # --- reservations -----------------------------------------------------------

    def reserve(self, order_id: str, lines: dict[str, int], *, top_up: bool = False) -> bool:
        """Reserve every line or none; the lines' quantities are summed before the check.

        By hand, a line already reserved with the same quantity is a retry and
        changes nothing; with another quantity it is a conflict. Sourcing tops
        up (`top_up`): a later decision may add units of a line to what this
        location already holds for it (a partial line filled as stock comes in).
        """
        if "/" in order_id or not order_id:
            raise InvalidCommand([_problem("order_id", "must be non-empty and contain no '/'")])
        new: dict[str, int] = {}
        wanted = 0
        for line_id, quantity in lines.items():
            _check_quantity(f"lines.{line_id}", quantity)
            key = reservation_key(order_id, line_id)
            held = self.reservations.get(key)
            if held is None or top_up:
                new[key] = (held or 0) + quantity
                wanted += quantity
            elif held != quantity:
                raise Conflict(f"{key} is reserved for {held}, not {quantity}")
        if not new:
            return False
        if wanted > self.available:
            raise InsufficientStock(
                f"{self.sku} at {self.location_code}: {wanted} wanted, {max(self.available, 0)} available"
            )
        self._reserved(reservations=new, levels=self._after(reserved=wanted))
        return True

    def release(self, order_id: str, line_ids: list[str] | None, now: datetime) -> bool:
        """Give back the order's reservations (all of them when `line_ids` is None)."""
        keys = self._keys(order_id, line_ids)
        if not keys:
            return False
        freed = sum(self.reservations[key] for key in keys)
        self._released(keys=keys, levels=self._after(reserved=-freed), at=now)
        return True

    def give_back(self, order_id: str, lines: dict[str, int], now: datetime) -> bool:
        """Give back units of the order's lines (line id -> quantity), no more than each
        holds: what one shipment held, when the location holds more of the line for another."""
        freed = {
            key: min(quantity, self.reservations[key])
            for line_id, quantity in lines.items()
            if (key := reservation_key(order_id, line_id)) in self.reservations
        }
        if not freed:
            return False
        levels = self._after(reserved=-sum(freed.values()))
        self._given_back(freed=freed, levels=levels, at=now)
        return True

    def ship(self, order_id: str, lines: dict[str, int], now: datetime) -> None:
        """Units of the order's lines leave with a shipment: on hand falls by them, and what
        the lines held here falls by as much (never below 0: a reservation freed meanwhile
        does not keep goods that left from leaving on hand)."""
        keys = {reservation_key(order_id, line_id): quantity for line_id, quantity in lines.items()}
        taken = {
            key: min(quantity, self.reservations.get(key, 0)) for key, quantity in keys.items()
        }
        units = sum(lines.values())
        levels = self._after(self._uncounted(-units, now), reserved=-sum(taken.values()))
        self._shipped(taken={k: q for k, q in taken.items() if q}, units=units, levels=levels,
                      at=now)  # fmt: skip

    def dispatch(self, order_id: str, line_ids: list[str] | None, now: datetime) -> bool:
        """Consume reservations: the units leave on hand."""
        keys = self._keys(order_id, line_ids)
        if not keys:
            return False
        gone = sum(self.reservations[key] for key in keys)
        self._dispatched(
            keys=keys, at=now, levels=self._after(self._uncounted(-gone, now), reserved=-gone)
        )
        return True

    def _after(
        self,
        on_hand_delta: int = 0,
        *,
        on_hand: int | None = None,
        reserved: int = 0,
        safety_stock: int | None = None,
    ) -> dict[str, int]:
        """The levels once an event is applied: carried by the event for the read models."""
        return {
            "on_hand": max(0, self.on_hand + on_hand_delta) if on_hand is None else on_hand,
            "reserved": self.reserved + reserved,
            "safety_stock": self.safety_stock if safety_stock is None else safety_stock,
        }

    def _keys(self, order_id: str, line_ids: list[str] | None) -> list[str]:
        prefix = f"{order_id}/"
        if line_ids is None:
            return [key for key in self.reservations if key.startswith(prefix)]
        keys = dict.fromkeys(reservation_key(order_id, line_id) for line_id in line_ids)
        return [key for key in keys if key in self.reservations]

    # --- events -----------------------------------------------------------------

    @event("Counted")
    def _counted(self, quantity: int, counted_at: datetime, levels: dict[str, int]) -> None:
        self.on_hand = levels["on_hand"]
        self._forget_before(counted_at)

    @event("CountConfirmed")
    def _count_confirmed(self, counted_at: datetime) -> None:
        self._forget_before(counted_at)

    @event("Received")
    def _received(
        self, quantity: int, reference: str, at: datetime, levels: dict[str, int]
    ) -> None:
        self._move(quantity, at, (reference, _movement("received", quantity)))

    @event("Adjusted")
    def _adjusted(
        self, delta: int, reason: str, reference: str, at: datetime, levels: dict[str, int]
    ) -> None:
        self._move(delta, at, (reference, _movement("adjusted", delta)))

    @event("Damaged")
    def _damaged(
        self, quantity: int, reason: str, reference: str, at: datetime, levels: dict[str, int]
    ) -> None:
        self._move(-quantity, at, (reference, _movement("damaged", quantity)))

    @event(SafetyStockSet)
    def _safety_stock_set(self, quantity: int, levels: dict[str, int], at: datetime | None) -> None:
        self.safety_stock = quantity

    @event("Reserved")
    def _reserved(self, reservations: dict[str, int], levels: dict[str, int]) -> None:
        self.reserved_units += sum(q - self.reservations.get(k, 0) for k, q in reservations.items())
        self.reservations.update(reservations)

    @event(ReservationsReleased)
    def _released(self, keys: list[str], levels: dict[str, int], at: datetime | None) -> None:
        for key in keys:
            self.reserved_units -= self.reservations.pop(key)

    @event("ReservationsGivenBack")
    def _given_back(self, freed: dict[str, int], levels: dict[str, int], at: datetime) -> None:
        self._take(freed)

    def _take(self, units: dict[str, int]) -> None:
        """Lower reservations by some of their units (key -> units); an emptied one goes."""
        for key, quantity in units.items():
            self.reserved_units -= quantity
            self.reservations[key] -= quantity
            if not self.reservations[key]:
                del self.reservations[key]

    @event("Shipped")
    def _shipped(
        self, taken: dict[str, int], units: int, levels: dict[str, int], at: datetime
    ) -> None:
        self._take(taken)
        self._move(-units, at)

    @event("Dispatched")
    def _dispatched(self, keys: list[str], at: datetime, levels: dict[str, int]) -> None:
        quantity = sum(self.reservations.pop(key) for key in keys)
        self.reserved_units -= quantity
        self._move(-quantity, at)

    def _uncounted(self, delta: int, at: datetime) -> int:
        """A movement at or before the last applied count is already in that count."""
        return 0 if self.last_count_at is not None and at <= self.last_count_at else delta

    def _applied(self, reference: str, movement: str) -> bool:
        """True when this movement was applied under this reference (a retry); a reference
        applied to another movement is a Conflict, as an order id reused with other content."""
        applied = self.recent_movements.get(reference)
        if applied is not None and applied != movement:
            raise Conflict(
                f"reference {reference} was used for another movement of {self.sku} at "
                f"{self.location_code} ({applied}), not {movement}"
            )
        return applied is not None

    def _move(self, delta: int, at: datetime, movement: tuple[str, str] | None = None) -> None:
        self.on_hand = max(0, self.on_hand + self._uncounted(delta, at))
        self.recent_deltas.append((at, delta))
        if movement is not None:
            reference, what = movement
            self.recent_movements[reference] = what
            self.movement_times.append((at, reference))
        if self.recent_deltas[0][0] < at - MOVEMENT_WINDOW:
            self.horizon = at - MOVEMENT_WINDOW
            self.recent_deltas = [(t, d) for t, d in self.recent_deltas if t >= self.horizon]
            expired = {ref for t, ref in self.movement_times if t < self.horizon}
            for reference in expired:
                self.recent_movements.pop(reference, None)
            self.movement_times = [(t, ref) for t, ref in self.movement_times if t >= self.horizon]

    def _forget_before(self, counted_at: datetime) -> None:
        self.last_count_at = counted_at
        self.recent_deltas = [(at, delta) for at, delta in self.recent_deltas if at > counted_at]


def _movement(kind: str, quantity: int) -> str:
    return f"{kind} {quantity}"


def _problem(field_name: str, message: str) -> FieldProblem:
    return FieldProblem(field_name, message)


def _check_quantity(field_name: str, quantity: int, allow_zero: bool = False) -> None:
    problems = Problems()
    if not isinstance(quantity, int) or quantity < 0 or (quantity == 0 and not allow_zero):
        problems.add(field_name, "must be a whole number " + (">= 0" if allow_zero else "> 0"))
    problems.raise_if_any()
