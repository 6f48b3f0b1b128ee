"""``fleetledger plan migrate``: rehearse moving a ledger to another backend, and back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

import fleetledger
from fleetledger import Ledger
from fleetledger.cli.common import (
    acting_principal,
    cli_source,
    configuration,
    errors,
    json_option,
    open_ledger,
    output,
)
from fleetledger.cli.exits import CheckFailed, InputError, committed, guarded
from fleetledger.cli.mirror import check_urls
from fleetledger.cli.render import printable
from fleetledger.planning.migrate import Rehearsal, Step, rehearse, report

MIGRATE_JSON = (
    "one JSON object: {ok, failed, source, destination, seconds, steps: [{name, title,"
    " outcome, seconds, figures, detail, notes}], rollback: {events, groups, producers, seconds}}"
)
FILE_WIDTH = 132
"""Width of the terminal report written to a file."""


class Format(StrEnum):
    """How the report is written."""

    TERMINAL = "terminal"
    MARKDOWN = "markdown"
    JSON = "json"


@guarded
def migrate(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SRC_URL",
            help="The ledger to migrate from (it must exist).",
            show_default=False,
        ),
    ],
    destination: Annotated[
        str,
        typer.Argument(
            metavar="DST_URL",
            help="The ledger to migrate to: empty, or an earlier rehearsal's copy (resumed).",
            show_default=False,
        ),
    ],
    *,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Rehearse into a DST that holds events that are not a copy of SRC."
        ),
    ] = False,
    sample: Annotated[
        int,
        typer.Option(
            "--sample", min=1, help="How many of SRC's last events the cutover sends again."
        ),
    ] = 32,
    report_format: Annotated[
        Format, typer.Option("--format", help="How to write the report.")
    ] = Format.TERMINAL,
    to_file: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report to FILE instead of stdout.", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, json_option(MIGRATE_JSON)] = False,
) -> None:
    """Rehearse a migration: mirror, compare, move groups, dry-run cutover, roll back.

    Each step is timed, and the report says what a rollback requires.

    Exit 0 when every step passed, 1 naming the step that failed. Nothing in SRC is ever
    deleted or rewritten, and the only events written to SRC are those of the rollback step:
    the events DST holds that SRC lacks, copied back (none after a dry run). DST receives the
    copy; a DST holding other events is refused unless --force.
    """
    with open_pair(source, destination) as (src, dst):
        committed("DST holds a partial copy: run the rehearsal again to resume it")
        rehearsal = rehearse(
            src,
            dst,
            force=force,
            sample=sample,
            producer=acting_principal(),
            access=configuration().access,
            on_step=say,
        )
    write(rehearsal, Format.JSON if as_json else report_format, to_file)
    failed = rehearsal.failed
    if failed is not None:
        raise CheckFailed(f"step {failed.name} failed: {failed.detail}")


@contextmanager
def open_pair(source: str, destination: str) -> Iterator[tuple[Ledger, Ledger]]:
    """Open SRC to write (never signing: the rehearsal adds no checkpoint to it), then DST
    with SRC's topic policies (and no access policy, which DST would record as its own event:
    the configured one is checked in the cutover step instead)."""
    check_urls(source, destination)
    with open_ledger(source, write=True, signer=False) as src:
        policies = [info.policy for info in src.topics() if info.topic == src.topic(info.family)]
        dst = fleetledger.open(
            destination,
            policies=policies,
            default_source=cli_source(),
        )
        try:
            yield src, dst
        finally:
            dst.close()


def say(step: Step) -> None:
    """One line per finished step on stderr, when it is a terminal."""
    console = errors()
    if console.is_terminal:
        console.print(f"{step.title}: {step.outcome.value} in {step.seconds:.2f} s")


def write(rehearsal: Rehearsal, report_format: Format, to_file: Path | None) -> None:
    """Write the report in ``report_format`` to ``to_file`` or stdout."""
    if report_format is Format.JSON:
        text = msgspec.json.encode(report.as_json(rehearsal)).decode() + "\n"
    elif report_format is Format.MARKDOWN:
        text = report.as_markdown(rehearsal)
    elif to_file is None:
        output().print(report.as_rich(rehearsal))
        return
    else:
        console = Console(width=FILE_WIDTH, highlight=False, color_system=None)
        with console.capture() as captured:
            console.print(report.as_rich(rehearsal))
        text = captured.get()
    if to_file is None:
        typer.echo(text, nl=False)
        return
    try:
        to_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {printable(str(to_file))}: {exc.strerror}") from exc
