"""The `dom` command: serve, work, projections rebuild, demo, imports, policies, carriers."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from adapters.settings import Settings
from api.admin_key import told
from api.bootstrap import Container, bootstrap
from api.cli_carriers import carriers_cli
from api.cli_keys import keys_cli
from api.cli_payments import import_payments_command
from api.cli_relay import relay
from api.clock import tick

cli = typer.Typer(no_args_is_help=True, help="dom: Distributed Order Management.")
projections_cli = typer.Typer(no_args_is_help=True, help="Read models.")
cli.add_typer(projections_cli, name="projections")
import_cli = typer.Typer(no_args_is_help=True, help="ETL: ERP exports (CSV) and bank statements.")
cli.add_typer(import_cli, name="import")
import_cli.command("payments")(import_payments_command)
policy_cli = typer.Typer(no_args_is_help=True, help="Routing policies (rule sets as JSON files).")
cli.add_typer(policy_cli, name="policy")
cli.add_typer(carriers_cli, name="carriers")
cli.command("relay")(relay)
cli.add_typer(keys_cli, name="keys")
CsvFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default DOM_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default DOM_PORT or 8000")] = None,
    workers: Annotated[int, typer.Option(help="API processes (distributed mode)")] = 1,
) -> None:
    """Serve the HTTP API (announced once the stores are ready and the port is bound)."""
    from api.http.server import StartupFailed
    from api.http.server import serve as run

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    if workers > 1 and settings.mode != "postgres":
        raise typer.BadParameter("several API processes need DOM_DATABASE_URL (PostgreSQL)")

    def announce(admin_key: str | None) -> None:
        typer.echo(f"dom ({settings.mode}) serving on http://{host}:{port}  (API docs: /docs)")
        for line in told(settings.data_dir, admin_key, f"http://{host}:{port}"):
            typer.echo(line)

    try:
        run(settings, host, port, workers, announce)
    except StartupFailed as error:
        typer.echo(f"dom serve: {error}", err=True)
        raise typer.Exit(1) from error


@cli.command()
def work(
    name: Annotated[str, typer.Argument(help="the projection or policy to drive")],
    idle: Annotated[float, typer.Option(help="seconds between polls when idle")] = 0.2,
    batch: Annotated[int, typer.Option(min=1, help="events per transaction")] = 500,
) -> None:
    """Drive one projection or policy in this process until stopped (SIGTERM or Ctrl-C)."""
    dom = bootstrap(pool_size=1)  # one follower needs few connections
    if name == "clock":
        _keep_time(dom, idle)
        return
    follower = dom.runtime.followers.get(name.replace("-", "_"))
    if follower is None:
        known = ", ".join(sorted(dom.runtime.followers))
        typer.echo(f"unknown follower {name!r}; known: {known}", err=True)
        raise typer.Exit(2)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo(f"working {follower.name} from position {follower.position()}")
    while not stopping:
        if follower.catch_up(batch) == 0:
            time.sleep(idle)
    dom.close()


def _keep_time(dom: Container, every: float) -> None:
    """`dom work clock`: the clock's step every `every` seconds (at least one) until stopped."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    typer.echo("working the clock")
    while not stopping.is_set():
        tick(dom, datetime.now(UTC))
        stopping.wait(max(every, 1.0))
    dom.close()


@cli.command("tick")
def tick_command(
    at: Annotated[datetime | None, typer.Option(help="the time to step to (default: now)")] = None,
) -> None:
    """One step of the clock: record orders at risk of missing their ship-by, and late ones."""
    now = _aware(at) if at is not None else datetime.now(UTC)
    dom = bootstrap()
    ticked = tick(dom, now)
    dom.close()
    typer.echo(f"clock at {now.isoformat()}: {ticked.looked_at} orders looked at, "
               f"{ticked.recorded} warnings recorded, {len(ticked.failed)} failed")  # fmt: skip
    if ticked.failed:
        raise typer.Exit(1)


@projections_cli.command("rebuild")
def rebuild() -> None:
    """Rebuild every read model from the event store, beside the live one, then swap it in."""
    dom = bootstrap()
    failed = False
    for name, outcome in dom.runtime.rebuild_all().items():
        if isinstance(outcome, int):
            typer.echo(f"{name}: replayed {outcome} events")
        else:  # the live view was kept as it was
            typer.echo(f"{name}: not rebuilt, kept as it was: {outcome}", err=True)
            failed = True
    dom.close()
    if failed:
        raise typer.Exit(1)


@cli.command()
def demo() -> None:
    """Load a little demo data (safe to run again: nothing is placed twice)."""
    from api.demo import load_demo

    dom = bootstrap()
    created, existing = load_demo(dom, datetime.now(UTC))
    typer.echo(
        f"demo data: {created} orders placed, {existing} already there ({dom.settings.mode})"
    )
    dom.close()


@import_cli.command("stock")
def import_stock_command(
    file: CsvFile,
    chunk: Annotated[int, typer.Option(min=1, help="lines per transaction")] = 1000,
) -> None:
    """Absolute stock counts: location, sku, quantity, counted_at [, safety_stock]."""
    from api.imports import import_stock

    dom = bootstrap()
    with _refusing(), tqdm(unit=" lines", desc=file.name) as progress:
        report, rejected = import_stock(dom, file, chunk, datetime.now(UTC), progress)
    _finish(f"{report.applied} counts applied, {report.unchanged} unchanged", rejected)


@import_cli.command("locations")
def import_locations_command(file: CsvFile) -> None:
    """Locations: code, name, type, country, latitude, longitude, time_zone, ..."""
    from api.imports import import_locations

    dom = bootstrap()
    with _refusing(), tqdm(unit=" lines", desc=file.name) as progress:
        report, rejected = import_locations(dom, file, datetime.now(UTC), progress)
    _finish(
        f"{report.applied} locations registered or changed, {report.unchanged} unchanged", rejected
    )


def _policy_name(name: str) -> str:
    """The names the API accepts, checked by the same rule (usage error, exit status 2)."""
    from domain.errors import InvalidCommand
    from domain.fulfilment.routing_policy import check_policy_name

    try:
        check_policy_name(name)
    except InvalidCommand as error:
        raise typer.BadParameter(error.problems[0].message) from error
    return name


PolicyName = Annotated[str, typer.Argument(callback=_policy_name, help="e.g. default")]
PolicyVersion = Annotated[int, typer.Argument(min=1, max=1_000_000)]


@policy_cli.command("list")
def list_policies() -> None:
    """Every routing policy: its active version and each version's state."""
    dom = bootstrap()
    with _refusing():
        policies = dom.fulfilment.policies()
    if not policies:
        typer.echo("no routing policies")
    for policy in policies:
        versions = ", ".join(
            f"{number} {details['status']}" for number, details in sorted(policy.versions.items())
        )
        active = policy.active_version or "none"
        typer.echo(f"{policy.name}: active {active}; versions {versions}")


@policy_cli.command("draft")
def draft_policy(
    name: PolicyName,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    note: Annotated[str, typer.Option(help="why this version")] = "",
) -> None:
    """Draft a new version of a routing policy from a JSON rule set (checked as the API does)."""
    import orjson

    dom = bootstrap()
    with _refusing(f"{file}: "):
        rules = orjson.loads(file.read_bytes())
        version = dom.fulfilment.draft_policy(name, rules, note, datetime.now(UTC))
    typer.echo(f"{name}: draft version {version}")


@policy_cli.command("activate")
def activate_policy(name: PolicyName, version: PolicyVersion) -> None:
    """Make a version (a draft, or a retired one again) the active one; the version active
    until now is retired."""
    dom = bootstrap()
    with _refusing():
        outcome = dom.fulfilment.activate_policy(name, version, datetime.now(UTC))
    typer.echo(
        f"{name}: version {version} {'activated' if outcome.changed else 'was already active'}"
    )


@policy_cli.command("retire")
def retire_policy(name: PolicyName, version: PolicyVersion) -> None:
    """Retire a version; retiring the active one leaves the policy with none active."""
    dom = bootstrap()
    with _refusing():
        outcome = dom.fulfilment.retire_policy(name, version, datetime.now(UTC))
    typer.echo(
        f"{name}: version {version} {'retired' if outcome.changed else 'was already retired'}"
    )


@carriers_cli.command("load")
def load_carriers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Define the carriers of a JSON file (one definition or a list; docs/carriers.md). All
    are checked first: one bad definition and none is applied (exit status 2)."""
    from api.carrier_files import read_carriers

    dom = bootstrap()
    with _refusing(f"{file}: "):
        for definition in read_carriers(dom, file):
            version, outcome = dom.fulfilment.define_carrier(definition, datetime.now(UTC))
            said = "defined" if outcome.changed else "unchanged"
            typer.echo(f"{str(definition['code']).upper()}: version {version} {said}")
    dom.close()


@cli.command()
def simulate(
    policy: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="draft rule set (JSON)")
    ],
    start: Annotated[
        datetime | None, typer.Option("--from", help="period start (ISO 8601)")
    ] = None,
    end: Annotated[datetime | None, typer.Option("--to", help="period end, exclusive")] = None,
) -> None:
    """Replay a period's released orders against a draft policy; the live stores are untouched."""
    import orjson

    from api.simulate import simulate as run
    from domain.fulfilment.routing_rules import normalise_rules

    end = _aware(end) if end else datetime.now(UTC)
    start = _aware(start) if start else end - timedelta(days=30)
    if start >= end:
        typer.echo(
            f"--from ({start.isoformat()}) must be before --to ({end.isoformat()})", err=True
        )
        raise typer.Exit(2)
    with _refusing(f"{policy}: "):  # what is wrong with the file is said of the file
        rules = normalise_rules(orjson.loads(policy.read_bytes()))
    dom = bootstrap()
    try:
        with _refusing("the history could not be replayed: "):
            report = run(dom, rules, start, end)
    finally:
        dom.close()
    typer.echo(f"{report.orders} orders released from {start.isoformat()} to {end.isoformat()}")
    typer.echo(f"{'measure':<22}{'actual':>14}{'simulated':>14}")
    for name, actual, simulated in report.measures:
        typer.echo(f"{name:<22}{actual:>14}{simulated:>14}")
    typer.echo(f"\n{len(report.differences)} orders routed differently")
    for difference in report.differences[:20]:
        typer.echo(difference)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def _refusing(about: str = "") -> Iterator[None]:
    """Bad input (a file that is not JSON or not readable CSV, a refused command) ends the
    command with the reason on stderr and exit status 2; nothing was changed."""
    import orjson

    from api.imports import BadFile
    from domain.errors import DomainError

    try:
        yield
    except orjson.JSONDecodeError as error:
        typer.echo(f"{about}not JSON: {error}", err=True)
        raise typer.Exit(2) from error
    except DomainError as error:
        typer.echo(f"{about}{error.detail}", err=True)
        raise typer.Exit(2) from error
    except BadFile as error:
        typer.echo(f"{about}{error}", err=True)
        raise typer.Exit(2) from error


def _finish(summary: str, rejected: list[Any]) -> None:
    typer.echo(summary)
    if not rejected:
        return
    typer.echo(f"{len(rejected)} lines rejected:", err=True)
    for item in rejected:
        typer.echo(f"  line {item.line}: {item.reason}", err=True)
    raise typer.Exit(1)


def main() -> None:
    cli()
