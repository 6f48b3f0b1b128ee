"""``fleetledger scorecard`` on a real SQLite ledger: measured, answered, refused, rendered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ledger with intents, facts, an approval, a consumer group and a reset of it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scorecard') / 'fleet.db'}"
    with fleetledger.open(url, default_source="tests") as ledger:
        for n in range(20):
            task = f"task-{n}"
            ledger.append("task.requested", subject=task, data={"goal": "refund"})
            ledger.append("task.started", subject=task)
            ledger.append("task.completed", subject=task, data={"result": "ok"})
        ledger.append(
            "governance.approval.requested",
            subject="task-0",
            data={"approval_id": "a-1", "action": "payments.refund"},
        )
        with ledger.consumer("audit", ["task"]) as consumer:
            for _ in range(10):
                if not consumer.poll(max=100, timeout=1):
                    break
                consumer.commit()
        ledger.move_group("audit", "earliest", families=["task"])
    return url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None}).invoke(
        app, ["scorecard", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def test_json_scores_what_the_ledger_shows_and_takes_answers_for_the_rest(ledger_url: str) -> None:
    """Criticality and replay are measured; migration tolerance is the flag's answer."""
    code, out, _ = run("--ledger", ledger_url, "--migration-tolerance", "5", "--json")

    assert code == 0
    scores = {s["dimension"]: s for s in json.loads(out)["scores"]}
    # 21 intents of 62 events (60 task, the approval request, the reset's admin record):
    # 33.9% -> 4, +1 for the approval request
    assert (scores["criticality"]["score"], scores["criticality"]["source"]) == (5, "measured")
    assert "33.9% intents (21 of 62 events), 1 approval" in scores["criticality"]["figure"]
    assert "1 rewind over 1 group" in scores["replay_depth"]["figure"]
    assert scores["migration_tolerance"] == scores["migration_tolerance"] | {
        "score": 5,
        "source": "answered",
    }


def test_an_answers_file_overrides_a_measurement_and_flags_override_the_file(
    ledger_url: str, tmp_path: Path
) -> None:
    """File: criticality 2, governance 3; flag: governance 1. The measured 5 is kept beside."""
    answers = tmp_path / "answers.toml"
    answers.write_text("criticality = 2\ngovernance_pressure = 3\n")

    code, out, _ = run(
        "--ledger", ledger_url, "--answers", str(answers), "--governance-pressure", "1", "--json"
    )

    scores = {s["dimension"]: s for s in json.loads(out)["scores"]}
    assert code == 0
    assert (scores["criticality"]["score"], scores["criticality"]["measured"]) == (2, 5)
    assert scores["governance_pressure"]["score"] == 1


@pytest.mark.parametrize("value", ["0", "6"])
def test_a_score_out_of_range_exits_2_with_one_line(ledger_url: str, value: str) -> None:
    """No traceback: one error line naming the flag and the range."""
    code, _, err = run("--ledger", ledger_url, "--replay-depth", value)

    assert code == 2
    assert err.startswith("error: --replay-depth: replay_depth must be a whole number from 1 to 5")
    assert "Traceback" not in err


def test_an_unknown_key_in_the_answers_file_exits_2(ledger_url: str, tmp_path: Path) -> None:
    """The typo is named with the known keys."""
    answers = tmp_path / "a.json"
    answers.write_text('{"replay": 3}')

    code, _, err = run("--ledger", ledger_url, "--answers", str(answers))

    assert code == 2
    assert "unknown dimension 'replay' (known: criticality" in err


def test_interactive_refuses_without_a_terminal(ledger_url: str) -> None:
    """-i on a pipe is an input error, pointing at flags and --answers."""
    code, _, err = run("--ledger", ledger_url, "-i")

    assert code == 2
    assert "--interactive needs a terminal" in err


def test_the_terminal_report_shows_scores_verdict_and_checklists(ledger_url: str) -> None:
    """Readable at a glance: each dimension, the seed's verdict, each checklist's areas."""
    code, out, _ = run("--ledger", ledger_url)

    assert code == 0
    for text in (
        "Coordination criticality",
        "Recommendation (seed 000)",
        "Rollback",
        "Observability",
    ):
        assert text in out
    assert "not scored" in out  # migration tolerance, unanswered


def test_html_goes_to_the_file_named_by_output(ledger_url: str, tmp_path: Path) -> None:
    """The suffix chooses the format; the page holds the radar."""
    page = tmp_path / "card.html"

    code, _, err = run("--ledger", ledger_url, "-o", str(page))

    assert code == 0
    assert "wrote the html scorecard" in err
    assert '<polygon class="scores"' in page.read_text()


def test_a_named_ledger_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    """A typo in --ledger is not silently an answers-only scorecard."""
    code, _, err = run("--ledger", f"sqlite:///{tmp_path / 'nope.db'}")

    assert code == 2
    assert "no ledger" in err
