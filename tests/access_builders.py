"""API keys for tests: issued through the access application, as `dom keys create` does."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid5

from api.bootstrap import Container
from api.keyring import new_key_id, new_secret

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FIXED_KEY_ID = uuid5(UUID(int=0), "dom:tests:admin")
FIXED_SECRET = "tests-only-secret-that-is-long-enough-0123456789"
FIXED_ADMIN_TOKEN = f"dom_{FIXED_KEY_ID.hex}_{FIXED_SECRET}"


def a_token(
    dom: Container, kind: str = "admin", owner: str = "Test Admin",
    scopes: list[str] | None = None,
) -> str:  # fmt: skip
    granted = dom.access.issue_key(new_key_id(), new_secret(), (kind, owner, scopes), "tests", NOW)
    return granted.token


def the_fixed_admin_token(dom: Container) -> str:
    """The same admin token in every new store: for what is set up before a store exists
    (the contract tests' document-wide headers)."""
    return dom.access.issue_key(FIXED_KEY_ID, FIXED_SECRET, ("admin", "Contract", None),
                                "tests", NOW).token  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_headers(dom: Container) -> dict[str, str]:
    return bearer(a_token(dom))
