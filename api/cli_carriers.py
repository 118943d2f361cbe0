"""`dom carriers ...`: what dom keeps per carrier outside the event log (its webhook secret)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from adapters.carrier_secrets import MIN_SECRET, set_secret
from api.bootstrap import bootstrap
from domain.text import text_problem

carriers_cli = typer.Typer(
    no_args_is_help=True, help="Carriers: definitions (JSON files) and tracking webhook secrets."
)
CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def _code(code: str) -> str:
    if not CODE.fullmatch(code):
        raise typer.BadParameter("a carrier code: a-z, 0-9, '_' or '-', up to 32, e.g. bpost")
    return code


@carriers_cli.command("secret")
def set_tracking_secret(
    code: Annotated[str, typer.Argument(callback=_code, help="the carrier's code, e.g. bpost")],
) -> None:
    """Set the carrier's tracking webhook secret, read from stdin (never from the command
    line, where other users and the shell history would see it)."""
    secret = sys.stdin.readline().strip()
    problem = text_problem(secret)
    if problem or len(secret) < MIN_SECRET or len(secret) > 256:
        reason = problem or f"from {MIN_SECRET} to 256 characters are needed"
        typer.echo(f"secret not set: {reason}", err=True)
        raise typer.Exit(2)
    dom = bootstrap(pool_size=1)
    set_secret(dom.store, code, secret, datetime.now(UTC))
    dom.close()
    typer.echo(f"tracking secret of {code} set")
