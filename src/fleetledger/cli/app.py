"""The ``fleetledger`` command: a typer app with one module per command."""

from __future__ import annotations

import typer

from fleetledger.cli import (
    demo,
    emit,
    evidence,
    groups,
    keys,
    lag,
    mirror,
    notary,
    prove,
    replay,
    tail,
    topics,
    verify,
)
from fleetledger.cli.common import guarded

app = typer.Typer(
    name="fleetledger",
    help="The coordination ledger for fleets of AI agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for command in (
    demo.demo,
    emit.emit,
    tail.tail,
    replay.replay,
    topics.topics,
    groups.groups,
    lag.lag,
    mirror.mirror,
    keys.keys,
    verify.verify,
    prove.prove,
    evidence.evidence,
    evidence.verify_bundle,
    notary.notary,
):
    app.command()(guarded(command))


def main() -> None:
    """Run the command line (the ``fleetledger`` entry point)."""
    app()
