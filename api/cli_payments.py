"""`dom import payments FILE`: bank statements (camt.053 XML or CSV) in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

StatementFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="camt.053 XML or CSV")
]


def import_payments_command(file: StatementFile) -> None:
    """Booked credits matched to waiting payments by creditor reference or order id, then
    exact, underpaid or overpaid; orders covered are released. Imported twice: no change."""
    from adapters.bank_statements import StatementRefused
    from api.bootstrap import bootstrap
    from api.payment_imports import describe, import_payments

    dom = bootstrap()
    try:
        with tqdm(unit=" entries", desc=file.name) as progress:
            report = import_payments(dom, file, datetime.now(UTC), progress)
    except StatementRefused as error:
        typer.echo(f"{file}: {error}; nothing imported", err=True)
        raise typer.Exit(2) from error
    finally:
        dom.close()
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.outcomes.items())) or "none"
    typer.echo(f"{report.recorded} entries recorded ({counts}), {report.duplicates} recorded "
               f"before, {len(report.unmatched)} unmatched, {len(report.rejected)} rejected")  # fmt: skip
    for match in report.unmatched:
        typer.echo(f"  unmatched {describe(match.entry)}")
    for rejected in report.rejected:
        typer.echo(f"  rejected {rejected.where}: {rejected.reason}", err=True)
    if report.rejected:
        raise typer.Exit(1)
