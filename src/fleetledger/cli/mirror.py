"""``fleetledger mirror``: copy a ledger to another backend, then prove nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

import fleetledger
from fleetledger import Ledger
from fleetledger.cli.common import (
    cli_source,
    errors,
    json_option,
    open_ledger,
    output,
    progress,
    write_json,
)
from fleetledger.cli.exits import CheckFailed, InputError, committed
from fleetledger.cli.render import cell, printable
from fleetledger.ledger import parse_url
from fleetledger.mirror import MirrorReport, PartitionCheck, check_both
from fleetledger.mirror import mirror as copy_ledger
from fleetledger.mirror.check import Progress as ProgressCallback

MIRROR_JSON = (
    "one JSON object: {ok, copied, elapsed, interrupted, created, policy_differences,"
    " groups: [{group, topic, partition, ...}], partitions: [{topic, partition, match, source,"
    " destination, detail}], order: [{task, ok, ...}]}"
)


def mirror(
    source: Annotated[
        str, typer.Argument(metavar="SRC_URL", help="The ledger to copy from.", show_default=False)
    ],
    destination: Annotated[
        str,
        typer.Argument(
            metavar="DST_URL",
            help=(
                "The ledger to copy to (created if needed); run again to resume, "
                "nothing is stored twice."
            ),
            show_default=False,
        ),
    ],
    *,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep copying new events until Ctrl-C or --timeout.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", min=0, help="With --follow: stop after SECONDS.", show_default=False
        ),
    ] = None,
    groups: Annotated[
        bool,
        typer.Option(
            "--groups", help="Also move consumer-group positions, to the same next event."
        ),
    ] = False,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check-only",
            help="Copy nothing: only compare both sides (exit 1 if a partition differs).",
        ),
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Events per append.")] = 1000,
    as_json: Annotated[bool, json_option(MIRROR_JSON)] = False,
) -> None:
    """Copy a ledger to another backend keeping partitions, order, ids and bytes; check both."""
    if timeout is not None and not follow:
        raise InputError("--timeout only applies with --follow")
    if check_only and (follow or groups):
        raise InputError("--check-only copies nothing: drop --follow and --groups")
    with open_pair(source, destination) as (src, dst), progress(quiet=as_json) as bar:
        callback, copied = tracker(bar)
        if check_only:
            checks, order = check_both(src, dst, progress=callback)
            report = MirrorReport(checks=checks, order=order)
        else:
            committed(
                lambda: (
                    f"copied {copied()} events; run the same command again to resume"
                    " (no event is stored twice)"
                )
            )
            report = copy_ledger(
                src,
                dst,
                groups=groups,
                follow=follow,
                timeout=timeout,
                batch_size=batch,
                progress=callback,
            )
    if as_json:
        write_json(report_json(report))
    else:
        show(report, check_only=check_only)
    if report.differences:
        names = ", ".join(check.name for check in report.differences)
        raise CheckFailed(f"{len(report.differences)} partition(s) differ: {names}")
    if report.reordered:
        names = ", ".join(check.task for check in report.reordered)
        raise CheckFailed(f"{len(report.reordered)} task(s) replay in another order: {names}")


@contextmanager
def open_pair(source: str, destination: str) -> Iterator[tuple[Ledger, Ledger]]:
    """Open the source, then the destination with the source's topic policies."""
    check_urls(source, destination)
    with open_ledger(source) as src:
        policies = [info.policy for info in src.topics() if info.topic == src.topic(info.family)]
        dst = fleetledger.open(destination, policies=policies, default_source=cli_source())
        try:
            yield src, dst
        finally:
            dst.close()


def check_urls(source: str, destination: str) -> None:
    """Refuse a SQLite source that does not exist (opening would create it) and a self-copy."""
    src, dst = parse_url(source), parse_url(destination)
    if src.scheme == "sqlite" and not Path(src.location).is_file():
        raise InputError(f"no ledger at {source}: {src.location} does not exist")
    if (
        src.scheme == dst.scheme == "sqlite"
        and Path(src.location).resolve() == Path(dst.location).resolve()
    ):
        raise InputError("SRC_URL and DST_URL are the same ledger")


def tracker(bar: Progress) -> tuple[ProgressCallback, Callable[[], int]]:
    """A ``progress(stage, done, total)`` callback drawing one bar per stage, and a getter of
    how many events the copy stage reached."""
    tasks: dict[str, TaskID] = {}
    reached = {"copying": 0}

    def advance(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)
        reached[stage] = done

    return advance, lambda: reached["copying"]


def report_json(report: MirrorReport) -> dict[str, Any]:
    """The run as one JSON object."""
    return {
        "ok": report.ok,
        "copied": report.copied,
        "elapsed": round(report.elapsed, 3),
        "interrupted": report.interrupted,
        "created": report.created,
        "policy_differences": report.policy_differences,
        "groups": [row._asdict() for row in report.groups],
        "partitions": [check_json(check) for check in report.checks],
        "order": [{**check._asdict(), "ok": check.ok} for check in report.order],
    }


def check_json(check: PartitionCheck) -> dict[str, Any]:
    """One partition's comparison as a JSON object."""
    return {
        "topic": check.topic,
        "partition": check.partition,
        "match": check.match.value,
        "source": check.source._asdict(),
        "destination": check.destination._asdict(),
        "detail": check.detail,
    }


def show(report: MirrorReport, *, check_only: bool) -> None:
    """The run, readable: what was copied and moved, then the check."""
    console = output()
    if not check_only:
        created = f"; created {len(report.created)} topic(s)" if report.created else ""
        stopped = " (stopped by Ctrl-C)" if report.interrupted else ""
        console.print(
            f"copied [bold]{report.copied:,}[/] events in {report.elapsed:.2f}s{created}{stopped}"
        )
    for topic in report.policy_differences:
        errors().print(
            f"[yellow]note:[/] the destination keeps its own policy for {escape(printable(topic))} "
            "(retention, cleanup or classification differ)"
        )
    if report.groups:
        moved = sum(row.moved for row in report.groups)
        names = sorted({row.group for row in report.groups})
        console.print(
            f"moved {moved} of {len(report.groups)} group position(s)"
            f" ({escape(printable(', '.join(names)))})"
        )
    checked = len(report.checks)
    if report.differences:
        console.print(differences_table(report.differences))
    else:
        events = sum(check.source.events for check in report.checks)
        console.print(f"checked {checked} partitions: both sides hold the same {events:,} events")
    for check in report.reordered:
        task, detail = escape(printable(check.task)), escape(printable(check.detail))
        console.print(f"[red]task {task} replays differently[/]: {detail}")
    if report.order and not report.reordered:
        console.print(f"replayed {len(report.order)} sampled tasks on both sides: the same order")


def differences_table(checks: list[PartitionCheck]) -> Table:
    """One row per partition that differs: counts on each side and the first difference."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("partition", no_wrap=True)
    table.add_column("source", justify="right")
    table.add_column("destination", justify="right")
    table.add_column("match")
    table.add_column("first difference")
    for check in checks:
        table.add_row(
            cell(check.name),
            str(check.source.events),
            str(check.destination.events),
            f"[red]{check.match.value}[/]",
            escape(printable(check.detail)),
        )
    return table
