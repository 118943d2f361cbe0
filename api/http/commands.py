"""How every command answers: after its commit, settle the followers, then say how far.

A command's answer is decided by whether its events were committed: a
refusal raised before the commit records nothing and is answered by the
error handlers; once committed, the answer is a success whatever the
followers do. Before answering, the read models (and, inline, the reactions
the command set off) are brought up to the command's position as far as they
go in bounded time; the `Dom-Read-Models` header says whether they got there:
`current`, or `behind; <follower>=<reached>/<wanted>, ...` (a follower that is
stalled, failing, or, in workers mode, slower than DOM_READ_YOUR_WRITES_TIMEOUT).

Routes take `Answer` as a dependency and return `answer(context, position, body)`;
the e2e client checks that every successful command carries the header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import State

from api.bootstrap import Container
from api.http.responses import OrjsonResponse
from domain.claims import riding
from projections.runtime import Settlement

HEADER = "Dom-Read-Models"
ANSWERED = "command_answered"  # request.state: (context, position), for a kept answer's replays


def answered(
    settlement: Settlement,
    content: Any,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> OrjsonResponse:
    """A command's success answer, with how far the read models got."""
    return OrjsonResponse(
        content, status_code=status_code, headers={**(headers or {}), HEADER: settlement.header()}
    )


class Answer:
    """Settle a committed command's effects, then render its answer."""

    def __init__(self, dom: Container, state: State | None = None) -> None:
        self.dom = dom
        self.state = state

    def __call__(
        self,
        context: str,
        position: int | None,
        render: Callable[[], Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> OrjsonResponse:
        ride = riding()
        if ride is not None:  # the command is done: its followers' saves never carry the claim
            ride.closed = True
        if self.state is not None:
            setattr(self.state, ANSWERED, (context, position))
        settlement = self.dom.runtime.settle(context, position)
        return answered(settlement, render(), status_code, headers)


async def get_answer(request: Request) -> Answer:
    return Answer(request.app.state.container, request.state)


AnswerDep = Annotated[Answer, Depends(get_answer)]
