"""The rehearsal's report: the same steps, figures and rollback needs as JSON, Markdown and rich."""

from rich.console import Console

from fleetledger import Ledger
from fleetledger.planning.migrate import rehearse
from fleetledger.planning.migrate.report import as_json, as_markdown, as_rich, figure

from .conftest import Fill


def test_the_json_report_names_every_step_with_its_outcome_time_and_figures(
    filled: Ledger, dst: Ledger
) -> None:
    """JSON carries each step's name, outcome, seconds and figures, and the rollback's needs."""
    report = as_json(rehearse(filled, dst))

    assert report["ok"] is True
    assert report["failed"] is None
    assert [s["outcome"] for s in report["steps"]] == ["passed"] * 6
    assert report["steps"][1]["figures"]["events"] == 20
    assert set(report["rollback"]) == {"events", "groups", "producers", "seconds"}


def test_the_json_report_names_the_failed_step(filled: Ledger, dst: Ledger, fill: Fill) -> None:
    """A refused destination makes ``failed`` the preflight and skips the rest."""
    fill(dst, tasks=1, prefix="other")

    report = as_json(rehearse(filled, dst))

    assert report["ok"] is False
    assert report["failed"] == "preflight"
    assert [s["outcome"] for s in report["steps"]][1:] == ["skipped"] * 5


def test_the_markdown_report_is_a_table_of_steps_then_the_rollback(
    filled: Ledger, dst: Ledger
) -> None:
    """Markdown shows one row per step, what each found, and what a rollback requires."""
    text = as_markdown(rehearse(filled, dst))

    assert "| 1 | Preflight | passed |" in text
    assert "| 5 | Producer cutover (dry run) | passed |" in text
    assert "## What a rollback requires" in text
    assert "- events to copy back to the source: 0" in text
    assert "**Result:** every step passed" in text


def test_the_terminal_report_shows_the_steps_and_the_verdict(filled: Ledger, dst: Ledger) -> None:
    """The rich rendering holds the table, the rollback needs and the verdict."""
    console = Console(width=160)
    with console.capture() as captured:
        console.print(as_rich(rehearse(filled, dst)))
    text = captured.get()

    assert "Consumer groups" in text
    assert "what a rollback requires" in text
    assert "every step passed" in text


def test_counts_are_shown_with_thousands_separators() -> None:
    """Figures read at a glance: 12,533 rather than 12533; an empty word shows as a dash."""
    assert figure(12533) == "12,533"
    assert figure(0.5) == "0.500"
    assert figure("") == "-"
