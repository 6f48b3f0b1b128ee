"""Readable renderings: retention in words, short data summaries, task timelines."""

import io

import pytest
from rich.console import Console

from fleetledger import FOREVER, Event, ForeignRecord, Lag, Position
from fleetledger.cli.render import (
    duration,
    event_line,
    foreign_line,
    lag_table,
    printable,
    size,
    summary,
    timeline,
)


@pytest.mark.parametrize(
    ("ms", "text"),
    [(FOREVER, "forever"), (7 * 86_400_000, "7d"), (36 * 3_600_000, "36h"), (1500, "1500ms")],
)
def test_durations_read_in_their_largest_whole_unit(ms: int, text: str) -> None:
    """Retention times print as forever, or in the largest unit that divides them."""
    assert duration(ms) == text


def test_sizes_read_in_their_largest_whole_binary_unit() -> None:
    """Retention sizes print as unlimited, or in the largest binary unit that divides them."""
    assert [size(FOREVER), size(1 << 30), size(1536)] == ["unlimited", "1GiB", "1536B"]


def test_summary_leaves_out_empty_values() -> None:
    """Data summaries skip None, empty strings and empty collections."""
    data: dict[str, object] = {
        "goal": "refund",
        "deadline": None,
        "inputs": {},
        "tags": [],
        "note": "",
    }

    assert summary(data) == "goal=refund"


def test_summary_is_clipped_to_its_width() -> None:
    """A long summary is cut with an ellipsis at the width asked for."""
    text = summary({"a": "x" * 20, "b": "y" * 20}, width=20)

    assert len(text) == 20
    assert text.endswith("…")


def test_timeline_counts_milliseconds_from_the_first_event() -> None:
    """The +ms column is each event's time minus the first event's time."""
    events = [
        Event(id=str(i), type=t, source="s", subject="task", time=at)
        for i, (t, at) in enumerate(
            [
                ("task.requested", "2025-01-01T00:00:00.000000Z"),
                ("task.started", "2025-01-01T00:00:01.250000Z"),
            ]
        )
    ]
    console = Console(width=120, record=True, file=io.StringIO())

    console.print(timeline(events, "task", console.width))

    text = console.export_text()
    assert "+0 " in text
    assert "+1250" in text


HOSTILE = "a\x1b[31mred\u202eevil\x07\x9b\u2066x\u200f"
ESCAPED = "a\\u001b[31mred\\u202eevil\\u0007\\u009b\\u2066x\\u200f"


def hostile_event(**changes: object) -> Event:
    """An event whose agent and data hold an escape sequence and bidi overrides."""
    fields: dict[str, object] = {
        "id": "e-1",
        "type": "task.requested",
        "source": "s",
        "subject": "task-\u202e1",
        "time": "2025-01-01T00:00:00.000000Z",
        "agentid": HOSTILE,
        "data": {"goal": HOSTILE},
    }
    return Event(**{**fields, **changes})  # type: ignore[arg-type]


def rendered(renderable: object, width: int = 300) -> str:
    """What a console of ``width`` columns shows for ``renderable``."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x00", "\\u0000"),
        ("\x1b", "\\u001b"),
        ("\n", "\\u000a"),
        ("\x7f", "\\u007f"),
        ("\x85", "\\u0085"),
        ("\u061c", "\\u061c"),
        ("\u200e", "\\u200e"),
        ("\u200f", "\\u200f"),
        ("\u2028", "\\u2028"),
        ("\u202a", "\\u202a"),
        ("\u202e", "\\u202e"),
        ("\u2066", "\\u2066"),
        ("\u2069", "\\u2069"),
    ],
)
def test_printable_shows_each_control_and_bidi_character_escaped(char: str, shown: str) -> None:
    """C0, DEL, C1, the line separators and every bidi control become a visible escape."""
    assert printable(f"x{char}y") == f"x{shown}y"


def test_printable_keeps_ordinary_text_as_it_is() -> None:
    """Letters of any script, emoji, punctuation and brackets pass unchanged."""
    text = "refund 991 für Zoë: ✓ [bold] 払い戻し مرحبا"

    assert printable(text) == text


def test_an_event_line_shows_hostile_attributes_and_data_escaped() -> None:
    """tail's line escapes the subject, the agent and the data summary."""
    text = rendered(event_line(hostile_event()))

    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "task-\\u202e1" in text
    assert ESCAPED in text


def test_a_timeline_shows_hostile_data_escaped() -> None:
    """replay's timeline escapes the agent column and the data summaries."""
    text = rendered(timeline([hostile_event()], "task", 300), 300)

    assert "\x1b" not in text
    assert "\u202e" not in text
    assert ESCAPED in text


def test_a_lag_table_shows_a_hostile_group_name_escaped_and_not_as_markup() -> None:
    """Table cells of ledger names are printable and never read as rich markup."""
    row = Lag(f"[bold]{HOSTILE}", "fleet.task", 0, 1, 2)

    text = rendered(lag_table([row]))

    assert f"[bold]{ESCAPED}" in text


def test_a_foreign_line_is_marked_and_shows_its_bytes_escaped() -> None:
    """tail marks a foreign record and escapes what it holds."""
    record = ForeignRecord(
        position=Position("fleet.task", 0, 3), body=HOSTILE.encode(), reason="no attestation"
    )

    text = rendered(foreign_line(record))

    assert text.startswith("FOREIGN  fleet.task/0@3  no attestation  ")
    assert ESCAPED in text


def test_a_timeline_fits_80_columns() -> None:
    """On a narrow terminal every line of a timeline fits, the time column giving way."""
    events = [
        Event(
            id=str(n),
            type="governance.approval.requested",
            source="s",
            subject="task",
            time=f"2025-01-01T00:{n:02d}:00.000000Z",
            agentid="supervisor-12",
            data={"action": "payments.refund", "approval_id": f"appr-{n}" * 3},
        )
        for n in range(20)
    ]

    text = rendered(timeline(events, "task t: 20 events", 80), 80)

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "approval.requested" in text
    assert "from 2025-01-01 00:00:00 UTC" in text
