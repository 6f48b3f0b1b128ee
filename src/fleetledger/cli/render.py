"""Readable renderings shared by commands: timelines, event lines, topic and lag tables.

Whatever comes from the ledger (attributes, data, names, finding details) reaches a terminal
only through :func:`printable`, so event data cannot move the cursor, recolour the screen or
reorder a line with bidi overrides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fleetledger import FOREVER, Event, ForeignRecord, Lag, TopicInfo

_SUMMARY_WIDTH = 60
_MIN_SUMMARY = 16
_MIN_DATA = 24
_VALUE_WIDTH = 24
_NUMBERS = frozenset({"+ms", "parts", "events", "partition", "committed", "end", "lag"})
_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1))
_BYTE_UNITS = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1))
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    r"\ud800-\udfff]"
)
"""C0 and C1 controls, DEL, line and paragraph separators, the bidi marks, embeddings,
overrides and isolates (Trojan Source, CVE-2021-42574), and lone surrogates (no terminal
encoding can write them)."""


def printable(text: str) -> str:
    """``text`` safe for a terminal: each control or bidi character shown as a ``\\u202e``-style
    escape, everything else as it is."""
    return _UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def cell(text: str) -> Text:
    """A table cell of ledger content: printable, and never read as rich markup."""
    return Text(printable(text))


def moment(event: Event) -> datetime:
    """When the event happened (its ``time`` attribute)."""
    return datetime.fromisoformat(event.time.replace("Z", "+00:00"))


def agent(event: Event) -> str:
    """Who wrote the event: its agent id, else its source."""
    return event.agentid or event.source


def short_type(event: Event) -> str:
    """The type without its family prefix: ``call.completed`` for ``tool.call.completed``."""
    return event.type.split(".", 1)[-1]


def summary(data: Any, width: int = _SUMMARY_WIDTH) -> str:
    """The event data as short ``key=value`` pairs, leaving out empty values; printable."""
    if not isinstance(data, dict):
        return "" if data is None else _clip(printable(str(data)), width)
    pairs = [
        f"{printable(str(key))}={_value(value)}"
        for key, value in data.items()
        if value not in (None, "", [], {})
    ]
    return _clip(", ".join(pairs), width)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{…}"
    return _clip(printable(value if isinstance(value, str) else repr(value)), _VALUE_WIDTH)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_TIMELINE = ("time", "+ms", "family", "type", "agent / source")
_GAP = 3
"""Columns of a timeline are three characters apart: a space of padding on each side of a
blank divider."""


def timeline(events: Sequence[Event], title: str | None = None, width: int = 100) -> Table:
    """A task's events as a table: time, +ms since the first, family, type, agent, data.

    The whole table fits ``width``: the data summaries get what the other columns leave, and
    on a narrow terminal the time column gives way (the title then says when it began).
    """
    rows = _timeline_rows(events)
    headers, widths = list(_TIMELINE), _widths(_TIMELINE, rows)
    if events and width - sum(widths) - _GAP * len(widths) < _MIN_DATA:
        headers, widths, rows = headers[1:], widths[1:], [row[1:] for row in rows]
        title = f"{title or 'timeline'}, from {moment(events[0]):%Y-%m-%d %H:%M:%S} UTC"
    budget = max(width - sum(widths) - _GAP * len(widths), _MIN_SUMMARY)
    table = Table(
        title=None if title is None else Text(title),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 1),
    )
    for header in headers:
        table.add_column(header, justify="right" if header in _NUMBERS else "left", no_wrap=True)
    table.add_column("data", no_wrap=True)
    for row, event in zip(rows, events, strict=True):
        table.add_row(*(cell(value) for value in row), cell(summary(event.data, budget)))
    return table


def _widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]


def show_timeline(
    console: Console, task: str, events: Sequence[Event], *, hidden: str = ""
) -> None:
    """Print a task's timeline, fitted to the console's width (``hidden``: what was left out)."""
    title = f"task {printable(task)}: {len(events)} events{hidden}"
    console.print(timeline(events, title, console.width))


def _timeline_rows(events: Sequence[Event]) -> list[tuple[str, ...]]:
    first = moment(events[0]) if events else None
    rows: list[tuple[str, ...]] = []
    for event in events:
        at = moment(event)
        offset = (at - first).total_seconds() * 1000 if first else 0.0
        time = at.strftime("%H:%M:%S.%f")[:-3]
        who = printable(agent(event))
        rows.append((time, f"{offset:+.0f}", event.family, printable(short_type(event)), who))
    return rows


def event_line(event: Event) -> Text:
    """One event on one line, for streaming: time, position, type, subject, agent, data."""
    line = Text()
    line.append(moment(event).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], style="dim")
    line.append(f"  {printable(str(event.position))}  " if event.position else "  ", style="dim")
    line.append(printable(event.type), style="bold")
    line.append(f"  {printable(event.subject)}  ", style="cyan")
    line.append(printable(agent(event)), style="magenta")
    line.append(f"  {summary(event.data)}")
    return line


def foreign_line(record: ForeignRecord) -> Text:
    """A foreign record on one line, marked: its position, why it is foreign, what it holds."""
    line = Text()
    line.append("FOREIGN", style="bold yellow")
    where = "" if record.position is None else f"  {printable(str(record.position))}"
    line.append(where, style="dim")
    line.append(f"  {printable(record.reason)}", style="yellow")
    line.append(f"  {foreign_preview(record)}")
    return line


def foreign_preview(record: ForeignRecord) -> str:
    """What a foreign record holds, short and printable: its value, else its stored bytes."""
    fields = record.fields
    raw = record.body if fields is None else fields[2] or b""
    return _clip(printable(raw.decode("utf-8", "replace")), _SUMMARY_WIDTH)


def duration(ms: int) -> str:
    """``forever`` or the largest whole unit: ``7d``, ``36h``, ``1500ms``."""
    if ms == FOREVER:
        return "forever"
    return next(f"{ms // size}{unit}" for unit, size in _UNITS if ms % size == 0)


def size(count: int) -> str:
    """``unlimited`` or the largest whole binary unit: ``1GiB``, ``512KiB``."""
    if count == FOREVER:
        return "unlimited"
    return next(f"{count // each}{unit}" for unit, each in _BYTE_UNITS if count % each == 0)


def retention(info: TopicInfo) -> str:
    """Human-readable retention: time, and the size limit when there is one."""
    text = duration(info.policy.retention_ms)
    if info.policy.retention_bytes != FOREVER:
        text += f" / {size(info.policy.retention_bytes)}"
    return text


def topics_table(topics: Sequence[TopicInfo]) -> Table:
    """Every topic with its policy, retained events and per-partition end offsets."""
    namespace = topics[0].topic.removesuffix("." + topics[0].family) if topics else ""
    table = Table(
        title=f"topics {escape(printable(namespace))}.<family>",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("family", no_wrap=True)
    for header in ("parts", "key", "retention", "cleanup", "classification", "events"):
        table.add_column(header, justify="right" if header in _NUMBERS else "left")
    table.add_column("end offsets")
    for info in topics:
        table.add_row(
            cell(info.family),
            str(len(info.partitions)),
            info.policy.key.value,
            retention(info),
            info.policy.cleanup.value,
            info.policy.classification,
            str(info.events),
            " ".join(str(p.end) for p in info.partitions),
        )
    return table


def lag_table(rows: Iterable[Lag]) -> Table:
    """Lag per group, topic and partition."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("group", "topic", "partition", "committed", "end", "lag"):
        table.add_column(header, justify="right" if header in _NUMBERS else "left", no_wrap=True)
    for row in rows:
        table.add_row(
            cell(row.group),
            cell(row.topic),
            str(row.partition),
            str(row.committed),
            str(row.end),
            str(row.lag),
        )
    return table


def group_totals(rows: Iterable[Lag]) -> dict[str, dict[str, int]]:
    """Per group: partitions committed, and total lag across them."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        total = totals.setdefault(row.group, {"partitions": 0, "lag": 0})
        total["partitions"] += 1
        total["lag"] += row.lag
    return totals


def groups_table(totals: dict[str, dict[str, int]]) -> Table:
    """One row per consumer group: partitions committed and total lag."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("group")
    table.add_column("partitions", justify="right")
    table.add_column("lag", justify="right")
    for group, total in totals.items():
        table.add_row(cell(group), str(total["partitions"]), str(total["lag"]))
    return table


def families_table(counts: dict[str, int]) -> Table:
    """Events retained per family."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("family")
    table.add_column("events", justify="right")
    for family, count in counts.items():
        table.add_row(cell(family), str(count))
    return table
