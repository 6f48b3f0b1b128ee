"""``fleetledger emit``: append one event, or every line of a JSON Lines file atomically."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.progress import Progress

from fleetledger import ContractError, Event, Ledger, NewEvent, Position
from fleetledger.cli.common import (
    AsJSON,
    InputError,
    LedgerURL,
    open_ledger,
    progress,
    write_events,
)

_JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_PROGRESS_STEP = 1000


def _option(name: str, text: str, default: str | bool = False) -> Any:
    return typer.Option(name, help=text, show_default=default)


def emit(
    *,
    type_: Annotated[
        str | None,
        typer.Argument(metavar="TYPE", help="Event type, e.g. task.requested.", show_default=False),
    ] = None,
    subject: Annotated[str | None, _option("--subject", "The task id the event is about.")] = None,
    source: Annotated[str | None, _option("--source", "Who wrote it.", "cli/<user>")] = None,
    data: Annotated[str | None, _option("--data", "Event data: JSON, or @file.json.")] = None,
    id_: Annotated[str | None, _option("--id", "Event id (idempotency key).")] = None,
    time: Annotated[str | None, _option("--time", "When it happened (RFC 3339).")] = None,
    classification: Annotated[
        str | None, _option("--classification", "Raise the data classification.")
    ] = None,
    tenant: Annotated[str | None, _option("--tenant", "Tenant.")] = None,
    agent: Annotated[str | None, _option("--agent", "Agent id that did it.")] = None,
    agent_version: Annotated[str | None, _option("--agent-version", "Agent version.")] = None,
    correlation: Annotated[str | None, _option("--correlation", "Run it belongs to.")] = None,
    causation: Annotated[str | None, _option("--causation", "Id of the causing event.")] = None,
    conversation: Annotated[str | None, _option("--conversation", "Conversation id.")] = None,
    trace: Annotated[str | None, _option("--trace", "W3C traceparent.")] = None,
    supersedes: Annotated[str | None, _option("--supersedes", "Id of the event corrected.")] = None,
    file: Annotated[
        str | None, _option("--file", "JSON Lines of append's arguments, or - for stdin.")
    ] = None,
    ledger: LedgerURL = None,
    as_json: AsJSON = False,
) -> None:
    """Append one event and print its position; with --file, append many events atomically."""
    given = {
        name: value
        for name, value in {
            "type": type_,
            "subject": subject,
            "source": source,
            "data": data,
            "id": id_,
            "time": time,
            "dataclassification": classification,
            "tenant": tenant,
            "agentid": agent,
            "agentversion": agent_version,
            "correlationid": correlation,
            "causationid": causation,
            "conversationid": conversation,
            "traceparent": trace,
            "supersedes": supersedes,
        }.items()
        if value is not None
    }
    if file is None:
        emit_one(given, ledger, as_json)
    elif given:
        raise InputError("--file takes every event from the file: drop TYPE and the event options")
    else:
        emit_file(file, ledger, as_json)


def emit_one(attributes: dict[str, Any], url: str | None, as_json: bool) -> None:
    """Append the event the command line describes and print its position (or JSON)."""
    if "type" not in attributes:
        raise InputError("give an event TYPE (e.g. task.requested), or --file events.jsonl")
    if "subject" not in attributes:
        raise InputError("missing --subject: the id of the task the event is about")
    if "data" in attributes:
        attributes["data"] = read_data(attributes["data"])
    with open_ledger(url) as ledger:
        position = ledger.append(NewEvent.of(attributes))
        if as_json:
            write_events([stored(ledger, position, attributes["type"])])
        else:
            typer.echo(str(position))


def emit_file(path: str, url: str | None, as_json: bool) -> None:
    """Append every event of a JSON Lines file in one atomic batch and print a summary."""
    name = "stdin" if path == "-" else path
    with progress() as bar:
        events, lines = parse_lines(read_text(path), name, bar)
    if not events:
        raise InputError(f"{name} holds no events")
    with open_ledger(url) as ledger:
        with progress() as bar:
            bar.add_task(f"appending {len(events)} events atomically", total=None)
            positions = append_lines(ledger, events, lines, name)
        if as_json:
            write_events(
                stored(ledger, p, e["type"]) for p, e in zip(positions, events, strict=True)
            )
        else:
            typer.echo(f"appended {len(positions)} events ({families(events)})")


def read_data(text: str) -> Any:
    """The ``--data`` value: inline JSON, or ``@path`` to a JSON file (``@-``: stdin)."""
    where = f"--data file {text[1:]}" if text.startswith("@") else "--data"
    source = read_text(text[1:]) if text.startswith("@") else text
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def read_text(path: str) -> str:
    """The text of a UTF-8 file, or of stdin for ``-``."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path}: not UTF-8 text ({exc.reason})") from None


def parse_lines(text: str, name: str, bar: Progress) -> tuple[list[dict[str, Any]], list[int]]:
    """The events of a JSON Lines text and the line number of each (blank lines skipped)."""
    lines = text.splitlines()
    task = bar.add_task(f"reading {name}", total=len(lines))
    events, numbers = [], []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            events.append(parse_line(line, f"{name} line {number}"))
            numbers.append(number)
        if number % _PROGRESS_STEP == 0:
            bar.update(task, completed=number)
    return events, numbers


def parse_line(line: str, where: str) -> dict[str, Any]:
    """One JSON Lines line: a JSON object of :meth:`Ledger.append` arguments."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(value, dict):
        kind = _JSON_TYPES[type(value)]
        raise InputError(f"{where}: expected a JSON object of event attributes, got {kind}")
    return value


def append_lines(
    ledger: Ledger, events: Sequence[Mapping[str, Any]], lines: Sequence[int], name: str
) -> list[Position]:
    """``append_many``, with a refused event named by its line in the file."""
    try:
        return ledger.append_many(events)
    except ContractError as exc:
        if exc.index is None and len(lines) > 1:
            raise  # about the batch, not one event
        index = exc.index or 0
        cause = str(exc).removeprefix(f"event {index}: ")
        raise ContractError(f"{name} line {lines[index]}: {cause}", field=exc.field) from None


def stored(ledger: Ledger, position: Position, type_: str) -> Event:
    """The event as the ledger stored it at ``position`` (ids, stamps and defaults filled in)."""
    family = type_.split(".", 1)[0]
    return ledger.read(family, position.partition, position.offset, limit=1)[0]


def families(events: Sequence[Mapping[str, Any]]) -> str:
    """``task 2, tool 1``: how many of the events went to each family."""
    counts = Counter(str(event["type"]).split(".", 1)[0] for event in events)
    return ", ".join(f"{family} {count}" for family, count in sorted(counts.items()))
