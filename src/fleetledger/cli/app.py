"""The ``fleetledger`` command: a typer app with one module per command.

Every command runs through :func:`~fleetledger.cli.exits.guarded`, the one place errors and
Ctrl-C become a line on stderr and an exit code (the table is in :mod:`.exits`).
"""

from __future__ import annotations

from typing import Annotated

import typer

import fleetledger
from fleetledger.cli import (
    backup,
    catalogue,
    consume,
    demo,
    dlq,
    emit,
    evidence,
    export,
    forget,
    get,
    groups,
    keys,
    lag,
    maintain,
    mcp,
    metrics,
    mirror,
    notary,
    otel,
    plan,
    policy,
    principals,
    prove,
    replay,
    scorecard,
    serve,
    sign,
    sql,
    state,
    tail,
    tasks,
    tokens,
    topics,
    verify,
    verify_export,
    verify_order,
)
from fleetledger.cli.common import ConfigFile, PrincipalOption, use_config
from fleetledger.cli.exits import guarded

app = typer.Typer(
    name="fleetledger",
    help="The coordination ledger for fleets of AI agents.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"fleetledger {fleetledger.__version__}")
        raise typer.Exit


@app.callback()
@guarded
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
    config: ConfigFile = None,
    principal: PrincipalOption = None,
) -> None:
    """The coordination ledger for fleets of AI agents."""
    use_config(config, principal)


for command in (
    demo.demo,
    emit.emit,
    get.get,
    tail.tail,
    replay.replay,
    state.state,
    tasks.tasks,
    topics.topics,
    catalogue.types,
    lag.lag,
    maintain.maintain,
    forget.forget,
    mirror.mirror,
    keys.keys,
    sign.sign,
    verify.verify,
    prove.prove,
    evidence.evidence,
    evidence.verify_bundle,
    verify_order.verify_order,
    notary.notary,
    principals.principals,
    metrics.metrics,
    backup.backup,
    backup.restore,
    consume.consume,
    serve.serve,
    sql.sql,
    export.export,
):
    app.command()(guarded(command))
app.add_typer(groups.app, name="groups")
app.add_typer(policy.app, name="policy")
app.add_typer(tokens.app, name="tokens")
app.add_typer(otel.app, name="otel")
app.add_typer(dlq.app, name="dlq")
app.add_typer(plan.app, name="plan")
app.add_typer(mcp.app, name="mcp")
app.command("verify-export")(guarded(verify_export.verify_export_command))
app.command("scorecard")(guarded(scorecard.scorecard_command))


def main() -> None:
    """Run the command line (the ``fleetledger`` entry point)."""
    app(prog_name="fleetledger")
