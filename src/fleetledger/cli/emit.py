"""``fleetledger emit``: append one event, or every line of a JSON Lines file atomically.

It says what it stored truthfully: an event whose id is stored already (with the same
content) is reported as already present, not appended again. A batch is all or nothing, so
Ctrl-C during the commit waits for it and then says that all of it was committed, and whether
running the command again is safe (only when every event has an id).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.progress import Progress

from fleetledger import AlreadyStored, Appended, ContractError, Event, Ledger, NewEvent, Position
from fleetledger.cli.common import (
    JSON_EVENTS,
    LedgerURL,
    json_option,
    open_ledger,
    progress,
    write_events,
)
from fleetledger.cli.evidence import plural
from fleetledger.cli.exits import InputError, committed, holding_interrupts, read_interruptibly
from fleetledger.events.codec import MAX_DEPTH

_JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_PROGRESS_STEP = 1000
EVENT_DEPTH = MAX_DEPTH
"""How deeply an event given to ``emit --file`` may nest (the event is level 1): the depth the
contract's canonical encoder takes, so what passes here is not refused later."""
DATA_DEPTH = MAX_DEPTH - 1
"""How deeply ``--data`` may nest: one level less, since the data sits inside its event."""
MAX_DIGITS = 100
"""Longer integers are refused as they are read: the contract refuses any beyond ±2^53-1."""
EMIT_JSON = f"{JSON_EVENTS}: each event as stored, ids, stamps and defaults filled in"


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
    datasubject: Annotated[
        str | None, _option("--datasubject", "Data subject (pseudonym) of its confidential fields.")
    ] = None,
    file: Annotated[
        str | None, _option("--file", "JSON Lines of append's arguments, or - for stdin.")
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(EMIT_JSON)] = False,
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
            "datasubject": datasubject,
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
    with open_ledger(url, write=True, create=True) as ledger:
        with holding_interrupts():
            position = ledger.append(NewEvent.of(attributes))
            again = "safe (same --id)" if "id" in attributes else "would append another event"
            committed(f"the event was committed at {position}; running it again {again}")
        if as_json:
            write_events([stored(ledger, position, attributes["type"])])
        elif isinstance(position, AlreadyStored):
            typer.echo(f"already present at {position}: an event with this id is stored")
        else:
            typer.echo(str(position))


def emit_file(path: str, url: str | None, as_json: bool) -> None:
    """Append every event of a JSON Lines file in one atomic batch and print a summary."""
    name = "stdin" if path == "-" else path
    with progress(quiet=as_json) as bar:
        events, lines = parse_lines(read_text(path), name, bar)
    if not events:
        raise InputError(f"{name} holds no events")
    with open_ledger(url, write=True, create=True) as ledger:
        with progress(quiet=as_json) as bar, holding_interrupts():
            bar.add_task(f"appending {len(events)} events atomically", total=None)
            positions = append_lines(ledger, events, lines, name)
            committed(after_commit(positions, events))
        if as_json:
            write_events(
                stored(ledger, p, e["type"]) for p, e in zip(positions, events, strict=True)
            )
        else:
            typer.echo(appended_line(positions, events))


def after_commit(positions: Appended, events: Sequence[Mapping[str, Any]]) -> str:
    """What an interrupt after the batch's commit leaves: all of it, and whether a re-run is
    safe (only when the file gives every event its id, so none is stored twice)."""
    done = (
        f"the batch of {plural(len(positions), 'event')} was committed whole"
        f" ({positions.appended} appended, {positions.existing} already present)"
    )
    unnamed = sum(1 for event in events if not event.get("id"))
    if not unnamed:
        return f"{done}; running it again is safe: every event has an id, so none is stored twice"
    return (
        f"{done}; do not run it again: {plural(unnamed, 'event')} without an id in the file"
        " would be appended again"
    )


def appended_line(positions: Appended, events: Sequence[Mapping[str, Any]]) -> str:
    """``appended 2 events (task 2); 1 already present``."""
    new = [e for p, e in zip(positions, events, strict=True) if not isinstance(p, AlreadyStored)]
    line = f"appended {plural(len(new), 'event')}"
    if new:
        line += f" ({families(new)})"
    if positions.existing:
        line += f"; {positions.existing} already present"
    return line


def read_data(text: str) -> Any:
    """The ``--data`` value: inline JSON, or ``@path`` to a JSON file (``@-``: stdin)."""
    where = f"--data file {text[1:]}" if text.startswith("@") else "--data"
    source = read_text(text[1:]) if text.startswith("@") else text
    return load_json(source, where, DATA_DEPTH)


def load_json(text: str, where: str, depth: int = EVENT_DEPTH) -> Any:
    """JSON from the command line, refused with one line (never a traceback) when it is
    malformed, nests deeper than ``depth`` levels or holds an integer of thousands of digits.
    """
    try:
        value = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:  # deeper than Python parses: surely deeper than ``depth``
        raise _nested_too_deep(where, depth) from None
    except _HugeInteger as exc:
        raise ContractError(
            f"{where} holds an integer of {exc.digits} digits, beyond ±2^53-1: send it as a string",
            field="data",
        ) from None
    if _too_deep(value, depth):
        raise _nested_too_deep(where, depth)
    return value


def _nested_too_deep(where: str, depth: int) -> ContractError:
    return ContractError(f"{where} nests more than {depth} levels deep", field="data")


class _HugeInteger(Exception):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _integer(digits: str) -> int:
    """An integer of the JSON text; one too long to be sensible is refused before Python
    spends quadratic time (or refuses, past 4300 digits) converting it."""
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _HugeInteger(len(digits.lstrip("-")))
    return int(digits)


def _too_deep(value: Any, depth: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``depth`` levels."""
    level: list[Any] = [value]
    for _ in range(depth):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def read_text(path: str) -> str:
    """The text of a UTF-8 file, or of stdin for ``-``."""
    try:
        if path == "-":
            return read_interruptibly(sys.stdin.buffer).decode("utf-8")
        with open(path, "rb") as handle:
            return read_interruptibly(handle).decode("utf-8")
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
    value = load_json(line, where)
    if not isinstance(value, dict):
        kind = _JSON_TYPES[type(value)]
        raise InputError(f"{where}: expected a JSON object of event attributes, got {kind}")
    return value


def append_lines(
    ledger: Ledger, events: Sequence[Mapping[str, Any]], lines: Sequence[int], name: str
) -> Appended:
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
