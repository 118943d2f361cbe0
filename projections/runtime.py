"""The followers of one process, and how a command waits for its effects.

A command's answer is decided by whether its events were committed. After
that, `settle` brings the read models (and, inline, the reactions the
command set off) up to the command's position as far as they can go in
bounded time, and says how far that was: a `Settlement` that the API puts in
the answer (`Dom-Read-Models`). A follower that is stalled, failing or slow
never turns a recorded command into an error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from projections.follower import Follower, RebuildFailed
from projections.policy_follower import PolicyFollower
from projections.recent import RecentTopics

log = logging.getLogger("dom.runtime")
AnyFollower = Follower | PolicyFollower
HOPS = 8  # a command's consequences settle in a few hops
WINDOW = 200  # events read at once to tell which followers a command concerns


@dataclass
class Settlement:
    """How far the followers a command concerns got: name -> (reached, wanted)."""

    behind: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def current(self) -> bool:
        return not self.behind

    def header(self) -> str:
        """`current`, or `behind; order_status=1040/1042, routing=...`."""
        if self.current:
            return "current"
        lag = ", ".join(f"{name}={r}/{w}" for name, (r, w) in sorted(self.behind.items()))
        return f"behind; {lag}"


class Runtime:
    def __init__(
        self, followers: list[AnyFollower], inline: bool, timeout: float, budget: float = 5.0
    ) -> None:
        self.followers = {follower.name: follower for follower in followers}
        self.recent: dict[str, RecentTopics] = {}
        for follower in followers:
            source = follower.source
            if source.name not in self.recent:
                self.recent[source.name] = RecentTopics()
                if hasattr(source, "listeners"):
                    source.listeners.append(self.recent[source.name].add)
        self.inline = inline
        self.timeout = timeout  # workers mode: how long to wait for the read models
        self.budget = budget  # inline: no follower is started after this many seconds

    def settle(self, upstream: str, notification_id: int | None) -> Settlement:
        """Make a command's effects, and the effects of the policies it set off, visible;
        never raises because a follower could not."""
        settlement = Settlement()
        pending: dict[str, int] = {} if notification_id is None else {upstream: notification_id}
        settled: dict[str, int] = {}
        deadline = time.monotonic() + self.budget
        for _ in range(HOPS):
            if not pending:
                break
            context, position = pending.popitem()
            if settled.get(context, 0) >= position:
                continue  # a hop back to a context already settled this far
            settled[context] = position
            followers = [f for f in self.followers.values() if f.projection.upstream == context]
            quiet = self._quiet(followers, position) if self.inline else set()
            for follower in followers:
                if follower.name in quiet:
                    follower.skip_to(position)
                    continue
                late = self.inline and time.monotonic() > deadline  # e.g. the store is away
                if late or not self._reached(follower, position):
                    settlement.behind[follower.name] = (follower.known, position)
                    continue
                if self.inline and isinstance(follower, PolicyFollower):
                    reached = _produced(follower)
                    if reached:
                        target = follower.target.name
                        pending[target] = max(reached, pending.get(target, 0))
        return settlement

    def _quiet(self, followers: list[AnyFollower], position: int) -> set[str]:
        """The followers with nothing to do up to `position`.

        Most commands concern a few of a context's followers; the others then cost
        no transaction. The topics in between come from what this process recorded
        when it recorded them all (no read), else from one read of the log; when the
        window is wide (a follower far behind), each follower finds out for itself."""
        behind = [follower for follower in followers if follower.known < position]
        if not behind:
            return set()  # each of them returns at once
        start = min(follower.known for follower in behind)
        window = self.recent[behind[0].source.name].between(start, position)
        if window is None:
            window = _read_window(behind, start, position)
        if window is None:
            return set()
        return {
            follower.name
            for follower in behind
            if not any(n > follower.known and topic in follower.topic_set for n, topic in window)
        }

    def _reached(self, follower: AnyFollower, position: int) -> bool:
        try:
            if self.inline:
                return follower.ensure(position)
            if isinstance(follower, Follower):
                # Workers drive everything; the answer waits for the read models of the
                # command's own context, not for other contexts' reactions.
                return follower.wait_for(position, self.timeout)
            return True
        except Exception as error:  # a bug in a follower must not fail a recorded command
            log.exception("%s could not settle position %s: %s", follower.name, position, error)
            return False

    def catch_up_all(self) -> int:
        """Drive every follower until a whole pass applies nothing."""
        total = 0
        while applied := sum(follower.catch_up() for follower in self.followers.values()):
            total += applied
        return total

    def rebuild_all(self) -> dict[str, int | str]:
        """Rebuild every projection beside its live view; a failure is reported and the
        live view kept, and the other projections are still rebuilt."""
        outcome: dict[str, int | str] = {}
        for name, follower in self.followers.items():
            if isinstance(follower, Follower):
                try:
                    outcome[name] = follower.rebuild()
                except RebuildFailed as error:
                    outcome[name] = str(error)
        return outcome

    def health(self) -> dict[str, dict[str, Any]]:
        """Each follower's position and state in this process."""
        return {
            name: {"position": follower.known, **follower.watch.health.as_record()}
            for name, follower in self.followers.items()
        }

    def policy(self, name: str) -> PolicyFollower | None:
        found = self.followers.get(name)
        return found if isinstance(found, PolicyFollower) else None


def _read_window(
    followers: list[AnyFollower], start: int, position: int
) -> list[tuple[int, str]] | None:
    """(position, topic) of the events after `start` up to `position` that concern any of
    the followers, in one read of the log; None when too many or the store is away."""
    topics = sorted(set().union(*(follower.topic_set for follower in followers)))
    try:
        read = followers[0].source.recorder.select_notifications(
            start=start, stop=position, limit=WINDOW, inclusive_of_start=False, topics=topics
        )
    except Exception:  # each follower meets the store on its own, with its own bounds
        return None
    return None if len(read) >= WINDOW else [(n.id, n.topic) for n in read]


def _produced(follower: PolicyFollower) -> int | None:
    try:
        return follower.produced()
    except Exception as error:
        log.warning("%s: cannot read its target's latest position: %s", follower.name, error)
        return None
