"""``fleetledger plan``: what retention, fan-out and replication will cost, on shared-nothing
Kafka and on a shared-storage Kafka-compatible platform, per month and over a growth horizon.

The workload comes from a ledger (measured: rates, burst, sizes, retention, consumer groups),
an inputs file, or flags, each overriding the one before; the report says which figure came
from where. Subcommands (``plan migrate``) hang off the same group.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.markdown import Markdown

from fleetledger import ConfigurationError, MissingExtra, NotFound
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import InputError, guarded
from fleetledger.cli.plan_migrate import migrate
from fleetledger.planning.cost import charts as drawing
from fleetledger.planning.cost import html, report, sensitivity
from fleetledger.planning.cost.model import plan as cost_plan
from fleetledger.planning.cost.prices import default_prices, load_prices
from fleetledger.planning.cost.result import Plan
from fleetledger.planning.cost.sources import Flags, build, parse_retention, read_inputs
from fleetledger.planning.workload import Workload, measure

PLAN_JSON = (
    "one JSON object: {months, stored_bytes, architectures: {name: [{month, brokers, costs,"
    " total, dominant, cross_zone_bytes, ...}]}, sensitivity, inputs, prices, assumptions}"
)

app = typer.Typer(
    name="plan",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("migrate")(migrate)


class Format(StrEnum):
    """How the report is written."""

    TERMINAL = "terminal"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


def _opt(help_text: str, flag: str) -> Any:
    """An option shown without a default (each help says what the default is)."""
    return typer.Option(flag, help=help_text, show_default=False)


@app.callback()
@guarded
def plan(  # noqa: PLR0917 -- a typer command: each option is a parameter
    ctx: typer.Context,
    ledger: LedgerURL = None,
    inputs: Annotated[
        Path | None, _opt("Inputs file (TOML): families, fan-out, deployment.", "--inputs")
    ] = None,
    prices: Annotated[
        Path | None, _opt("Price sheet (TOML), default: AWS us-east-1 list prices.", "--prices")
    ] = None,
    events_per_second: Annotated[
        float | None,
        _opt(
            "Mean events/s of the whole fleet (shared out over families by their measured rates).",
            "--events-per-second",
        ),
    ] = None,
    event_size: Annotated[
        float | None, _opt("Mean event size in bytes, uncompressed.", "--event-size")
    ] = None,
    fan_out: Annotated[
        float | None, _opt("Consumer groups reading every byte.", "--fan-out")
    ] = None,
    retention_days: Annotated[
        str | None, _opt("Retention of every family: days, or 'forever'.", "--retention-days")
    ] = None,
    zones: Annotated[int | None, _opt("Availability zones (default 3).", "--zones")] = None,
    replication_factor: Annotated[
        int | None,
        _opt("Replication factor of shared-nothing Kafka (default 3).", "--replication-factor"),
    ] = None,
    producer_zones: Annotated[
        int | None, _opt("Zones hosting producers (default: every zone).", "--producer-zones")
    ] = None,
    consumer_zones: Annotated[
        int | None, _opt("Zones hosting consumers (default: every zone).", "--consumer-zones")
    ] = None,
    rack_aware: Annotated[
        bool | None,
        _opt(
            "Consumers fetch from a replica in their zone (KIP-392).",
            "--rack-aware/--no-rack-aware",
        ),
    ] = None,
    tiered_storage: Annotated[
        bool | None,
        _opt(
            "Shared nothing keeps only a hot window on local disk.",
            "--tiered-storage/--no-tiered-storage",
        ),
    ] = None,
    compression: Annotated[
        float | None,
        _opt("Compression ratio, uncompressed / compressed (default 1).", "--compression"),
    ] = None,
    months: Annotated[int | None, _opt("Months of the horizon (default 12).", "--months")] = None,
    growth: Annotated[
        float | None, _opt("Monthly growth of the rates, e.g. 0.05 (default 0).", "--growth")
    ] = None,
    scale: Annotated[
        float,
        _opt(
            "Multiply the measured rates and stored bytes (a demo ledger's are tiny).",
            "--scale",
        ),
    ] = 1.0,
    fmt: Annotated[
        Format, typer.Option("--format", help="terminal, markdown, json or html.")
    ] = Format.TERMINAL,
    out: Annotated[
        Path | None, _opt("Write the report to this file instead of stdout.", "--output")
    ] = None,
    charts: Annotated[
        Path | None,
        _opt("Write the charts as PNG files into this directory (extra [plan]).", "--charts"),
    ] = None,
    as_json: Annotated[bool, json_option(PLAN_JSON)] = False,
) -> None:
    """Estimate what the ledger costs on shared-nothing Kafka and on shared-storage Kafka."""
    ctx.obj = ledger
    if ctx.invoked_subcommand is not None:
        return
    if not scale > 0:
        raise InputError(f"--scale must be positive, not {scale}")
    flags = Flags(
        events_per_second=events_per_second,
        event_size=event_size,
        fan_out=fan_out,
        retention_days=None if retention_days is None else _retention(retention_days),
        zones=zones,
        replication_factor=replication_factor,
        producer_zones=producer_zones,
        consumer_zones=consumer_zones,
        rack_aware_fetch=rack_aware,
        tiered_storage=tiered_storage,
        compression=compression,
        months=months,
        growth=growth,
        scale=scale,
    )
    try:
        file = read_inputs(inputs) if inputs else None
        workload = _workload(ledger, measured=ledger is not None or not (file or events_per_second))
        demand, deployment = build(workload, file, flags)
        sheet = load_prices(prices) if prices else default_prices()
    except MissingExtra:
        raise
    except ConfigurationError as exc:
        raise InputError(str(exc)) from None
    result = cost_plan(demand, deployment, sheet)
    made = report.build(
        result, sensitivity.table(demand, deployment, sheet), demand, deployment, sheet
    )
    if charts is not None:
        _write_charts(charts, drawing.charts(result, sheet.currency))
    _emit(Format.JSON if as_json else fmt, made, result, sheet.currency, out)


def _retention(text: str) -> float:
    try:
        return parse_retention(text)
    except ConfigurationError as exc:
        raise InputError(f"--retention-days: {exc}") from None


def _workload(url: str | None, *, measured: bool) -> Workload | None:
    """The workload measured from the ledger at ``url`` (the default ledger when no other
    source is given), else None."""
    if not measured:
        return None
    try:
        with open_ledger(url) as opened:
            return measure(opened)
    except NotFound as exc:
        if url is not None:
            raise
        raise InputError(
            f"no workload to plan for ({exc}): give --ledger URL, --inputs FILE or"
            " --events-per-second"
        ) from None


def _emit(fmt: Format, made: report.Report, result: Plan, currency: str, out: Path | None) -> None:
    if fmt is Format.JSON and out is None:
        write_json(made.data)
        return
    if fmt is Format.TERMINAL and out is None:
        output().print(Markdown(report.markdown(made)))
        return
    text = _render(fmt, made, result, currency)
    if out is None:
        typer.echo(text)
    else:
        _write(out, text.encode())
        output().print(f"wrote {out}")


def _render(fmt: Format, made: report.Report, result: Plan, currency: str) -> str:
    if fmt is Format.JSON:
        return msgspec.json.encode(made.data).decode()
    if fmt is Format.HTML:
        return html.page(made, drawing.charts(result, currency))
    return report.markdown(made)


def _write_charts(directory: Path, pngs: dict[str, bytes]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the charts directory {directory}: {exc.strerror}") from exc
    for name, png in pngs.items():
        _write(directory / f"{name}.png", png)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
