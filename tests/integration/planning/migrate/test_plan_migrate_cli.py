"""``plan migrate`` on SQLite files: exit 0 when every step passed, 1 naming the step, 2 on bad
input; SRC never rewritten; a foreign DST refused."""

import json
from pathlib import Path

import fleetledger

from .conftest import Migrate, sql


def contents(url: str) -> dict[tuple[str, int], list[tuple[str, bytes]]]:
    """Every record's id and bytes, by partition."""
    with fleetledger.open(url, readonly=True) as ledger:
        return {
            (info.topic, p): [(r.id, r.body) for r in ledger.log.read(info.topic, p, 0, 100_000)]
            for info in ledger.topics()
            for p in range(len(info.partitions))
        }


def test_a_rehearsal_between_two_sqlite_files_passes_and_exits_0(
    plan_migrate: Migrate, src_url: str, dst_url: str
) -> None:
    """Every step passes on the simulated fleet; the JSON report says so."""
    result = plan_migrate(src_url, dst_url, "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [s["outcome"] for s in report["steps"]] == ["passed"] * 6
    assert report["steps"][1]["figures"]["events"] > 0


def test_the_source_holds_the_same_events_after_a_rehearsal(
    plan_migrate: Migrate, src_url: str, dst_url: str
) -> None:
    """Nothing in SRC is rewritten or added by a dry run."""
    before = contents(src_url)

    plan_migrate(src_url, dst_url)

    assert contents(src_url) == before
    assert contents(dst_url) == {tp: rows for tp, rows in before.items() if tp in contents(dst_url)}


def test_the_terminal_report_shows_the_table_and_the_rollback(
    plan_migrate: Migrate, src_url: str, dst_url: str
) -> None:
    """The default report is a table of the six steps, then what a rollback requires."""
    result = plan_migrate(src_url, dst_url)

    assert result.exit_code == 0, result.output
    for title in ("Preflight", "Mirror", "Compare", "Consumer groups", "Rollback"):
        assert title in result.stdout
    assert "what a rollback requires" in result.stdout
    assert "every step passed" in result.stdout


def test_the_markdown_report_is_written_to_the_output_file(
    plan_migrate: Migrate, src_url: str, dst_url: str, tmp_path: Path
) -> None:
    """--format markdown --output FILE writes the Markdown there and nothing to stdout."""
    target = tmp_path / "rehearsal.md"

    result = plan_migrate(src_url, dst_url, "--format", "markdown", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "| 6 | Rollback | passed |" in target.read_text()


def test_a_tampered_copy_fails_the_compare_step_with_exit_1(
    plan_migrate: Migrate, src_url: str, dst_url: str
) -> None:
    """Bytes changed in the copy's file make the next rehearsal fail at compare, named."""
    plan_migrate(src_url, dst_url)
    sql(
        dst_url,
        "UPDATE events SET body = CAST(body || ' ' AS BLOB)"
        " WHERE offset = 0 AND topic = 'fleet.task'",
    )

    result = plan_migrate(src_url, dst_url, "--json")

    assert result.exit_code == 1, result.output
    assert "step compare failed" in result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == "compare"
    assert [s["outcome"] for s in report["steps"]][3:] == ["skipped"] * 3


def test_a_destination_holding_other_events_is_refused_and_left_as_it_was(
    plan_migrate: Migrate, src_url: str, dst_url: str
) -> None:
    """A non-empty DST that is not a copy of SRC fails the preflight; nothing is written."""
    with fleetledger.open(dst_url, default_source="elsewhere") as other:
        other.append("task.requested", subject="theirs", data={"goal": "keep me"})
    before = contents(dst_url)

    result = plan_migrate(src_url, dst_url)

    assert result.exit_code == 1
    assert "step preflight failed" in result.stderr
    assert "not a copy of the source" in result.stderr
    assert contents(dst_url) == before


def test_a_bad_url_is_a_usage_error_without_a_traceback(
    plan_migrate: Migrate, src_url: str
) -> None:
    """An unknown scheme exits 2 with one line on stderr."""
    result = plan_migrate(src_url, "nosuch://where")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_a_missing_source_is_a_usage_error(
    plan_migrate: Migrate, dst_url: str, tmp_path: Path
) -> None:
    """A SRC file that does not exist exits 2 and creates nothing."""
    result = plan_migrate(f"sqlite:///{tmp_path / 'absent.db'}", dst_url)

    assert result.exit_code == 2
    assert not (tmp_path / "absent.db").exists()


def test_the_help_says_what_may_be_written_to_the_source(plan_migrate: Migrate) -> None:
    """--help promises SRC is never rewritten and only the rollback writes to it."""
    result = plan_migrate("--help")

    text = " ".join(result.stdout.replace("│", " ").split())
    assert "Nothing in SRC is ever deleted or rewritten" in text
    assert "the only events written to SRC are those of the rollback step" in text
