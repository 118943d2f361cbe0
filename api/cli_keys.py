"""`dom keys ...`: issue, list, rotate and revoke API keys on the store directly.

A token is printed once, when it is made; dom keeps only its hash. Who acted is recorded
as `cli <user>` (the operating system's user running the command).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import typer

from api.bootstrap import Container, bootstrap
from api.keyring import new_key_id, new_secret
from domain.access.api_key import ApiKey
from domain.access.scopes import Kind, Scope
from domain.errors import DomainError

keys_cli = typer.Typer(no_args_is_help=True, help="API keys (docs/security.md).")


def _actor() -> str:
    try:
        return f"cli {getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container, say)
        return f"cli uid {os.getuid()}"


@contextmanager
def _dom() -> Iterator[Container]:
    """The store, and a domain refusal as a message on stderr with exit status 2."""
    dom = bootstrap(pool_size=1)
    try:
        yield dom
    except DomainError as error:
        typer.echo(f"refused: {error.detail}", err=True)
        raise typer.Exit(2) from error
    finally:
        dom.close()


def _key_id(value: str) -> UUID:
    try:
        return UUID(hex=value)
    except ValueError as error:
        raise typer.BadParameter("a key id: 32 hex digits, as in the token") from error


@keys_cli.command("create")
def create(
    kind: Annotated[Kind, typer.Option(help="who holds the key")],
    owner: Annotated[str, typer.Option(help="the channel or location code, or a name")],
    scopes: Annotated[list[Scope] | None, typer.Option(help="fewer than the kind's own")] = None,
) -> None:
    """Issue a key and print its token (shown this once)."""
    wanted = [s.value for s in scopes] if scopes else None
    with _dom() as dom:
        granted = dom.access.issue_key(new_key_id(), new_secret(), (kind.value, owner, wanted),
                                       _actor(), datetime.now(UTC))  # fmt: skip
    typer.echo(_line(granted.key))
    typer.echo(granted.token)


@keys_cli.command("list")
def list_keys() -> None:
    """Every key: id, kind, owner, scopes, status (never a secret)."""
    with _dom() as dom:
        for key in dom.access.api_keys():
            typer.echo(_line(key))


@keys_cli.command("rotate")
def rotate(
    key_id: Annotated[str, typer.Argument(help="the key's id")],
    grace_hours: Annotated[int, typer.Option(min=0, max=720, help="old secret taken")] = 24,
) -> None:
    """A new secret for the key, printed once; the old one is taken for --grace-hours."""
    which, grace = _key_id(key_id), timedelta(hours=grace_hours)
    with _dom() as dom:
        granted = dom.access.rotate_key(which, new_secret(), grace, _actor(), datetime.now(UTC))
    typer.echo(_line(granted.key))
    typer.echo(granted.token)


@keys_cli.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id")],
    reason: Annotated[str, typer.Option(help="why, for the record")] = "",
) -> None:
    """Refuse the key from now on (API processes notice within DOM_KEY_CACHE_SECONDS)."""
    which = _key_id(key_id)
    with _dom() as dom:
        key = dom.access.revoke_key(which, _actor(), reason, datetime.now(UTC))
    typer.echo(_line(key))


def _line(key: ApiKey) -> str:
    status = "revoked" if key.revoked else "active"
    return f"{key.id.hex}  {key.kind.value:<8} {key.owner}  [{' '.join(key.scopes)}]  {status}"
