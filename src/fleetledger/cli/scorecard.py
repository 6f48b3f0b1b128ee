"""``fleetledger scorecard``: seed 000's readiness scorecard, measured from the ledger where
it knows, answered by you where it cannot, with both seeds' checklists answered from the
ledger's own configuration.

Each dimension is scored 1..5: measured (the figure it came from is shown), or answered by a
flag, ``--answers FILE`` (flags win over it) or ``-i`` on a terminal (the measured score as the
default). Then the seed's recommendation, on the scored dimensions, and both seeds' evaluation
checklists and readiness sequence, each question with the fleetledger feature and commands that
answer it and whether this ledger has it configured.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from fleetledger import NotFound
from fleetledger.cli.common import (
    LedgerURL,
    configuration,
    errors,
    json_option,
    ledger_url,
    open_ledger,
    output,
)
from fleetledger.cli.exits import InputError
from fleetledger.cli.scorecard_view import terminal
from fleetledger.ledger import redact
from fleetledger.planning.scorecard import (
    DIMENSIONS,
    BadAnswer,
    Facts,
    Score,
    Scorecard,
    as_json,
    check,
    combine,
    html,
    markdown,
    measured_scores,
    read_answers,
    read_facts,
    scorecard,
)
from fleetledger.planning.workload import Workload, measure

SCORECARD_JSON = (
    "one JSON object: {ledger, measured_at, scores: [{dimension, name, score, source, measured,"
    " figure, rule, one, five}], recommendation: {first_class, scored, high, text, means,"
    " basis}, checklists: [{title, items: [{area, question, why, feature, commands, status,"
    " detail}]}]}"
)


class Format(StrEnum):
    """What the scorecard is written as."""

    terminal = "terminal"
    markdown = "markdown"
    json = "json"
    html = "html"


SUFFIXES = {".md": Format.markdown, ".json": Format.json, ".html": Format.html}
ATTEMPTS = 5
"""Interactive answers tried per dimension before giving up."""


def _score_option(dimension_flag: str, one: str, five: str, unmeasured: str = "measured") -> object:
    return typer.Option(dimension_flag, help=f"1: {one}. 5: {five}.", show_default=unmeasured)


def scorecard_command(
    *,
    ledger: LedgerURL = None,
    criticality: Annotated[int | None, _score_option("--criticality", *DIMENSIONS[0].means)] = None,
    replay_depth: Annotated[
        int | None, _score_option("--replay-depth", *DIMENSIONS[1].means)
    ] = None,
    traffic_variance: Annotated[
        int | None, _score_option("--traffic-variance", *DIMENSIONS[2].means)
    ] = None,
    retention_pressure: Annotated[
        int | None, _score_option("--retention-pressure", *DIMENSIONS[3].means)
    ] = None,
    governance_pressure: Annotated[
        int | None, _score_option("--governance-pressure", *DIMENSIONS[4].means)
    ] = None,
    migration_tolerance: Annotated[
        int | None,
        _score_option(
            "--migration-tolerance", *DIMENSIONS[5].means, unmeasured="not scored: answer it"
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Scores from a TOML or JSON file: replay_depth = 4, ...; flags win over it.",
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Ask on the terminal for each dimension no flag"
            " or file answered, the measured score as the default.",
        ),
    ] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="terminal, markdown, json or html (one page, radar chart).",
            show_default="from --output's suffix, else terminal",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    as_json_flag: Annotated[bool, json_option(SCORECARD_JSON)] = False,
) -> None:
    """Score the six readiness dimensions (measured or answered); the verdict; both checklists."""
    flags = {
        "criticality": criticality,
        "replay_depth": replay_depth,
        "traffic_variance": traffic_variance,
        "retention_pressure": retention_pressure,
        "governance_pressure": governance_pressure,
        "migration_tolerance": migration_tolerance,
    }
    given = _answers(answers, {k: v for k, v in flags.items() if v is not None})
    workload, facts, where = _measure(ledger)
    measured = measured_scores(workload)
    if interactive:
        given |= interview(measured, given, _terminal_ask())
    moment = workload.measured_at if workload else None
    card = scorecard(combine(measured, given), facts, where, moment)
    chosen = (
        Format.json
        if as_json_flag
        else fmt or SUFFIXES.get(out.suffix if out else "", Format.terminal)
    )
    _write(card, chosen, out)


def _answers(path: Path | None, flags: dict[str, int]) -> dict[str, int]:
    """The file's answers, then the flags' over them; each checked (:class:`InputError`)."""
    try:
        found = read_answers(path) if path is not None else {}
        found |= {
            key: check(key, value, "--" + key.replace("_", "-")) for key, value in flags.items()
        }
    except BadAnswer as exc:
        raise InputError(str(exc)) from exc
    return found


def _measure(url: str | None) -> tuple[Workload | None, Facts | None, str | None]:
    """The ledger's workload and facts; nothing when no ledger was named and the default one
    does not exist (the scorecard then rests on answers alone, and says so)."""
    named = url is not None or configuration().url is not None
    try:
        with open_ledger(url) as opened:
            workload = measure(opened)
            return workload, read_facts(opened, workload), redact(opened.url)
    except NotFound:
        if named:
            raise
    errors().print(f"note: no ledger at {ledger_url(url)}: nothing measured (give --ledger URL)")
    return None, None, None


Ask = Callable[[str, int | None], str]


def interview(measured: dict[str, Score], given: dict[str, int], ask: Ask) -> dict[str, int]:
    """Ask ``ask`` for each dimension ``given`` lacks (default: the measured score); an empty
    reply with no default leaves it unscored. A bad reply is asked again, at most
    :data:`ATTEMPTS` times."""
    found: dict[str, int] = {}
    for dimension in DIMENSIONS:
        if dimension.key in given:
            continue
        score = measured[dimension.key]
        prompt = f"{dimension.name} (1 {dimension.one}; 5 {dimension.five}) [{score.figure}]"
        for _ in range(ATTEMPTS):
            reply = ask(prompt, score.value).strip()
            if not reply:
                break
            try:
                found[dimension.key] = check(dimension.key, reply)
                break
            except BadAnswer as exc:
                errors().print(f"  {exc}")
        else:
            raise InputError(f"no usable answer for {dimension.key} after {ATTEMPTS} tries")
    return found


def _terminal_ask() -> Ask:
    """Prompts on the terminal; :class:`InputError` when stdin is not one."""
    if not sys.stdin.isatty():
        raise InputError("--interactive needs a terminal on stdin; give flags or --answers FILE")

    def ask(prompt: str, default: int | None) -> str:
        reply: str = typer.prompt(
            prompt,
            default="" if default is None else str(default),
            show_default=default is not None,
        )
        return reply

    return ask


def _json(card: Scorecard) -> str:
    return msgspec.json.encode(as_json(card)).decode() + "\n"


def _write(card: Scorecard, fmt: Format, out: Path | None) -> None:
    """The report in ``fmt``, to ``out`` or stdout."""
    if fmt is Format.terminal:
        if out is None:
            output().print(terminal(card))
            return
        with out.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=132, color_system=None).print(terminal(card))
        errors().print(f"wrote the terminal scorecard to {out}")
        return
    text = {Format.markdown: markdown, Format.html: html, Format.json: _json}[fmt](card)
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.write_text(text, encoding="utf-8")
    if out is not None:
        errors().print(f"wrote the {fmt.value} scorecard to {out}")
