"""Readable renderings: retention in words, short data summaries, task timelines."""

import io

import pytest
from rich.console import Console

from fleetledger import FOREVER, Event
from fleetledger.cli.render import duration, size, summary, timeline


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
