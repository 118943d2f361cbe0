"""The small tree of domain errors.

The API maps each class to one HTTP status and one machine-readable code, in
one place (`api.http.errors`). Domain code raises these and nothing else for
business-rule failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """A business rule refused a command."""

    code = "domain_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    code = "not_found"


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, aggregate_id: object, state: str, action: str) -> None:
        super().__init__(f"cannot {action} {aggregate_id}: it is {state}")
        self.state = state
        self.action = action


class Conflict(DomainError):
    """The command contradicts something already recorded (e.g. same key, other content)."""

    code = "conflict"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InvalidCommand(DomainError):
    """The command's content breaks a business rule; names the fields at fault."""

    code = "validation_error"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class Problems:
    """Collects field problems so a command reports all of them at once."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.items.append(FieldProblem(field_name, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidCommand(self.items)


class InsufficientStock(DomainError):
    code = "insufficient_stock"
