"""Random sequences of commands on one StockItem, checked against a small model.

Time is an input: the machine keeps its own `now`, moved forward by a rule.
Counts are dated at or before `now`, sometimes earlier than the last one.
"""

import copy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import Conflict, DomainError, InsufficientStock, InvalidCommand
from domain.fulfilment.stock_item import StockItem, reservation_key
from tests.builders import NOW

ORDERS = ("o1", "o2", "o3")
LINE_IDS = ("1", "2", "3")

orders = st.sampled_from(ORDERS)
line_ids = st.none() | st.lists(st.sampled_from(LINE_IDS), unique=True, max_size=3)
HOURS = 60
# Often no time at all (a movement at the very time of a count), mostly minutes, now and
# then a jump of about the movement window (two days) or more.
minutes = (
    st.just(0)
    | st.integers(1, 2 * HOURS)
    | st.sampled_from([12, 24, 47, 49, 72]).map(lambda h: h * HOURS)
)


def state(item: StockItem) -> dict[str, Any]:
    return {k: v for k, v in vars(item).items() if k != "_pending_events"}


class StockItemMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.item = StockItem(location_code="WH1", sku="SKU-1")
        self.events = list(self.item.collect_events())
        self.now: datetime = NOW
        self.references = 0
        self.used_references: list[str] = []
        # The model: reservations, and every movement with its time and signed quantity.
        self.reservations: dict[str, int] = {}
        self.on_hand = 0
        self.movements: list[tuple[datetime, int]] = []
        self.counted_at: datetime | None = None

    # --- helpers ----------------------------------------------------------------

    def recorded(self) -> list[Any]:
        new = self.item.collect_events()
        self.events.extend(new)
        return new

    def refused(self, command, *errors: type[DomainError]) -> bool:
        """Run a command; when refused, check that nothing was recorded or changed."""
        before = copy.deepcopy(state(self.item))
        try:
            command()
        except errors:
            assert self.recorded() == []
            assert state(self.item) == before
            return True
        return False

    def other_movement(self, reference: str, movement: str) -> bool:
        """The reference is still remembered for another movement: the command is a Conflict."""
        applied = self.item.recent_movements.get(reference)
        return applied is not None and applied != movement

    def reference(self, retry: bool, pick: int) -> str:
        if retry and self.used_references:
            return self.used_references[pick % len(self.used_references)]
        self.references += 1
        return f"m{self.references}"

    def moved(self, changed: bool, reference: str, delta: int, name: str) -> None:
        events = self.recorded()
        if not changed:
            assert events == []
            return
        assert [type(e).__name__ for e in events] == [name]
        self.used_references.append(reference)
        self.move(delta)

    def move(self, delta: int) -> None:
        """A movement at or before the last applied count is already in that count."""
        self.movements.append((self.now, delta))
        if self.counted_at is None or self.now > self.counted_at:
            self.on_hand = max(0, self.on_hand + delta)

    # --- rules ------------------------------------------------------------------

    @rule(by=minutes)
    def time_passes(self, by: int) -> None:
        self.now += timedelta(minutes=by)

    @rule(quantity=st.integers(0, 50), back=minutes)
    def count(self, quantity: int, back: int) -> None:
        counted_at = self.now - timedelta(minutes=back)
        last = self.item.last_count_at
        horizon = self.item.horizon
        result: list[bool] = []
        if self.refused(
            lambda: result.append(self.item.count(quantity, counted_at)), InvalidCommand
        ):
            assert horizon is not None and counted_at < horizon
            assert last is None or counted_at > last
            return
        [applied] = result
        events = self.recorded()
        if not applied:
            assert last is not None and counted_at <= last
            assert events == []
            return
        assert self.item.last_count_at == counted_at
        assert [type(e).__name__ for e in events] in (["Counted"], ["CountConfirmed"])
        later = sum(delta for at, delta in self.movements if at > counted_at)
        self.on_hand = max(0, quantity + later)
        self.counted_at = counted_at

    @rule(quantity=st.integers(1, 20), retry=st.booleans(), pick=st.integers(0, 100), after=minutes)
    def receive(self, quantity: int, retry: bool, pick: int, after: int) -> None:
        self.now += timedelta(minutes=after)
        reference = self.reference(retry, pick)
        fresh = reference not in self.item.recent_movements
        if self.other_movement(reference, f"received {quantity}"):
            assert self.refused(lambda: self.item.receive(quantity, reference, self.now), Conflict)
            return
        changed = self.item.receive(quantity, reference, self.now)
        assert changed == fresh
        self.moved(changed, reference, quantity, "Received")

    @rule(delta=st.integers(-5, 5), retry=st.booleans(), pick=st.integers(0, 100), after=minutes)
    def adjust(self, delta: int, retry: bool, pick: int, after: int) -> None:
        self.now += timedelta(minutes=after)
        reference = self.reference(retry, pick)
        fresh = reference not in self.item.recent_movements
        other = self.other_movement(reference, f"adjusted {delta}")
        result: list[bool] = []
        if self.refused(
            lambda: result.append(self.item.adjust(delta, "count fix", reference, self.now)),
            InvalidCommand,
            InsufficientStock,
            Conflict,
        ):
            assert other or (fresh and (delta == 0 or self.on_hand + delta < 0))
            return
        assert not other
        assert result[0] == fresh
        self.moved(result[0], reference, delta, "Adjusted")

    @rule(quantity=st.integers(1, 5), retry=st.booleans(), pick=st.integers(0, 100), after=minutes)
    def damage(self, quantity: int, retry: bool, pick: int, after: int) -> None:
        self.now += timedelta(minutes=after)
        reference = self.reference(retry, pick)
        fresh = reference not in self.item.recent_movements
        other = self.other_movement(reference, f"damaged {quantity}")
        result: list[bool] = []
        if self.refused(
            lambda: result.append(
                self.item.record_damage(quantity, "dropped", reference, self.now)
            ),
            InsufficientStock,
            Conflict,
        ):
            assert other or (fresh and quantity > self.on_hand)
            return
        assert not other
        assert result[0] == fresh
        self.moved(result[0], reference, -quantity, "Damaged")

    @rule(quantity=st.integers(0, 10))
    def set_safety_stock(self, quantity: int) -> None:
        changed = self.item.set_safety_stock(quantity, self.now)
        assert [type(e).__name__ for e in self.recorded()] == (
            ["SafetyStockSet"] if changed else []
        )
        assert self.item.safety_stock == quantity

    @rule(
        order_id=orders,
        lines=st.dictionaries(st.sampled_from(LINE_IDS), st.integers(1, 10), min_size=1),
    )
    def reserve(self, order_id: str, lines: dict[str, int]) -> None:
        keys = {reservation_key(order_id, line_id): q for line_id, q in lines.items()}
        clash = any(self.reservations.get(k, q) != q for k, q in keys.items())
        new = {k: q for k, q in keys.items() if k not in self.reservations}
        available = self.item.available
        result: list[bool] = []
        if self.refused(
            lambda: result.append(self.item.reserve(order_id, lines)),
            InsufficientStock,
            Conflict,
            InvalidCommand,
        ):
            assert clash or sum(new.values()) > available
            return
        assert not clash
        assert result[0] == bool(new)
        self.recorded()
        self.reservations.update(new)
        if result[0]:
            assert self.item.available >= 0

    @rule(order_id=orders, line_ids=line_ids)
    def release(self, order_id: str, line_ids: list[str] | None) -> None:
        keys = self._keys(order_id, line_ids)
        assert self.item.release(order_id, line_ids, self.now) == bool(keys)
        assert len(self.recorded()) == (1 if keys else 0)
        for key in keys:
            del self.reservations[key]

    @rule(order_id=orders, line_ids=line_ids, after=minutes)
    def dispatch(self, order_id: str, line_ids: list[str] | None, after: int) -> None:
        self.now += timedelta(minutes=after)
        keys = self._keys(order_id, line_ids)
        assert self.item.dispatch(order_id, line_ids, self.now) == bool(keys)
        assert len(self.recorded()) == (1 if keys else 0)
        if keys:
            gone = sum(self.reservations.pop(key) for key in keys)
            self.move(-gone)

    def _keys(self, order_id: str, line_ids: list[str] | None) -> list[str]:
        wanted = LINE_IDS if line_ids is None else line_ids
        return [k for k in (reservation_key(order_id, i) for i in wanted) if k in self.reservations]

    # --- invariants -------------------------------------------------------------

    @invariant()
    def on_hand_is_never_negative(self) -> None:
        assert self.item.on_hand >= 0

    @invariant()
    def on_hand_matches_the_model(self) -> None:
        assert self.item.on_hand == self.on_hand

    @invariant()
    def reservations_match_the_model(self) -> None:
        assert self.item.reservations == self.reservations
        assert self.item.reserved == sum(self.reservations.values())
        assert all(q > 0 for q in self.item.reservations.values())

    @invariant()
    def the_events_rebuild_the_live_item(self) -> None:
        copy = None
        for recorded in self.events:
            copy = recorded.mutate(copy)
        assert copy is not None
        assert state(copy) == state(self.item)


StockItemMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestStockItem = StockItemMachine.TestCase
