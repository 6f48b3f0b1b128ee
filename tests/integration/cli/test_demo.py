"""``fleetledger demo`` with the real simulated fleet."""

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleetledger.cli.app import app

Run = Callable[..., Result]

pytest.importorskip("fleetledger.demo")


def test_demo_prints_families_lag_and_the_sample_timeline(run: Run) -> None:
    """demo simulates the fleet and shows events per family, lag per group and a timeline."""
    result = run("demo", "--tasks", "3", "--seed", "7")

    assert result.exit_code == 0, result.output
    for word in ("governance", "tasks", "audit", "evaluation", "compensated"):
        assert word in result.stdout


def test_demo_json_summarises_the_run(run: Run) -> None:
    """demo --json prints one object whose family counts add up to the events appended (the
    state family is the task projection's output)."""
    result = run("demo", "--tasks", "3", "--json")

    summary = json.loads(result.stdout)
    assert summary["tasks"] == 3
    governed = summary["governance"]["events"]
    written = sum(count for family, count in summary["families"].items() if family != "state")
    assert written == summary["events"] + governed
    assert set(summary["groups"]) == {"tasks", "audit", "evaluation"}
    assert summary["sample_task"]


def test_demo_json_reports_task_states_dead_letters_and_the_metrics_it_served(run: Run) -> None:
    """Every request and subtask has a final state from the projection; a fleet of 3 gives the
    slow audit no round, so no dead letter; the metrics endpoint was scraped while it ran."""
    result = run("demo", "--tasks", "3", "--json")

    summary = json.loads(result.stdout)
    assert sum(summary["task_states"].values()) == 3 * 4
    assert set(summary["task_states"]) <= {"completed", "failed", "cancelled", "compensated"}
    assert summary["dead_letters"] == []
    assert summary["metrics"]["url"].startswith("http://127.0.0.1:")
    assert summary["metrics"]["scraped"]["fleetledger_appended_events_total"] >= summary["events"]


def test_demo_refuses_an_unapproved_payment_withholds_from_the_auditor_and_erases(
    run: Run,
) -> None:
    """The governed payment: refused and recorded, then approved; the auditor misses the
    restricted context (counted); the customer is forgotten and the ledger still verifies."""
    result = run("demo", "--tasks", "2", "--json")

    summary = json.loads(result.stdout)
    governance = summary["governance"]
    assert "payments need an approval" in governance["refused"]
    assert governance["denials_recorded"] == 1
    assert governance["approved"] is True
    assert governance["auditor_withheld"] == 1
    assert governance["keys_destroyed"] == 1
    assert governance["erased_fields"] > 0
    assert summary["integrity"]["verify"]["ok"] is True


def test_demo_ends_with_a_verified_ledger_and_a_verified_bundle(run: Run, tmp_path: Path) -> None:
    """The last lines show verify ok, the bundle written beside the ledger and checked offline."""
    result = run("demo", "--tasks", "3")

    assert result.exit_code == 0, result.output
    proofs = result.stdout.split("proofs")[-1]
    assert "verify with" in proofs
    assert ": ok: " in proofs
    assert "verify-bundle, offline with" in proofs
    bundles = list(tmp_path.glob("evidence-*.json"))
    assert len(bundles) == 1
    assert str(bundles[0]) in proofs


def test_demo_makes_a_key_pair_beside_the_ledger_named_after_its_namespace(
    run: Run, tmp_path: Path
) -> None:
    """Without a configured key the demo signs with NAMESPACE-demo.key, its .pub beside it."""
    run("demo", "--tasks", "2")

    assert (tmp_path / "fleet-demo.key").read_text().startswith("PRIVATE+KEY+fleet-demo+")
    assert (tmp_path / "fleet-demo.pub").read_text().startswith("fleet-demo+")


def test_a_second_demo_reuses_the_key_pair(run: Run, tmp_path: Path) -> None:
    """A re-run signs with the same key (never overwritten) and still verifies."""
    run("demo", "--tasks", "2")
    first = (tmp_path / "fleet-demo.key").read_text()

    result = run("demo", "--tasks", "2", "--json")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "fleet-demo.key").read_text() == first
    assert json.loads(result.stdout)["integrity"]["verify"]["ok"] is True


def test_demo_json_names_the_key_the_bundle_and_the_commands(run: Run, tmp_path: Path) -> None:
    """--json gains an integrity object: both verdicts, the files and the commands to repeat."""
    result = run("demo", "--tasks", "2", "--json")

    integrity = json.loads(result.stdout)["integrity"]
    assert integrity["verify"]["ok"] is True
    assert integrity["verify_bundle"]["ok"] is True
    assert integrity["verify_bundle"]["signer_proved"] is True
    assert integrity["public_key"] == str(tmp_path / "fleet-demo.pub")
    assert integrity["commands"][1] == (
        f"fleetledger verify-bundle {integrity['bundle']} --key {integrity['public_key']}"
    )


@pytest.mark.parametrize("command", [0, 1], ids=["verify", "verify-bundle"])
def test_the_commands_the_demo_prints_repeat_its_checks(run: Run, command: int) -> None:
    """Each printed command, run as a shell would split it, exits 0."""
    integrity = json.loads(run("demo", "--tasks", "2", "--json").stdout)["integrity"]
    program, *args = shlex.split(integrity["commands"][command])

    result = CliRunner(env={"FLEETLEDGER_URL": None}).invoke(app, args)

    assert program == "fleetledger"
    assert result.exit_code == 0, result.output


def test_demo_on_a_ledger_that_does_not_sign_skips_the_proofs_with_a_note(run: Run) -> None:
    """memory:// (like kafka://) is not signed by its writers: one note, exit 0."""
    result = run("demo", "--tasks", "2", ledger="memory://")

    assert result.exit_code == 0, result.output
    assert "memory:// ledgers keep no signed checkpoints, so the demo skips" in result.stdout


@pytest.fixture
def narrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the demo as `make demo` does, from the ledger's directory, on an 80-column screen."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        runner = CliRunner(env={"COLUMNS": "80", "FLEETLEDGER_URL": None, "FLEETLEDGER_KEY": None})
        return runner.invoke(app, ["demo", *args, "--ledger", "sqlite:///fleetledger.db"])

    return invoke


def test_demo_output_fits_80_columns(narrow: Callable[..., Result]) -> None:
    """With COLUMNS=80 no line of the demo's text output is longer than 80 characters."""
    result = narrow("--tasks", "3")

    assert result.exit_code == 0, result.output
    too_long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert too_long == []


def test_demo_explains_each_consumer_group_and_its_lag(run: Run) -> None:
    """tasks, audit and evaluation each get a sentence saying what they do and why they lag."""
    result = run("demo", "--tasks", "3")

    for sentence in (
        "The runtime's task projection: it reads task, tool and governance events",
        "The archiver: it reads governance and tool events a dozen at a time",
        "A batch job: it reads the evaluation family every 50 finished tasks",
    ):
        assert sentence in result.stdout
    assert "lag: events not yet read and committed" in result.stdout


def test_demo_hides_state_summaries_from_the_sample_timeline_and_says_so(run: Run) -> None:
    """The sample timeline leaves state.summary out by default, saying how many and --all."""
    result = run("demo", "--tasks", "3")

    timeline = result.stdout.split("consumer groups")[1]
    assert " summary " not in timeline.split("replay it:")[0]
    assert "state.summary hidden; --all shows them)" in result.stdout


def test_demo_all_shows_state_summaries_in_the_sample_timeline(run: Run) -> None:
    """--all puts the state.summary events back."""
    result = run("demo", "--tasks", "3", "--all")

    timeline = result.stdout.split("consumer groups")[1].split("replay it:")[0]
    assert " summary " in timeline
    assert "hidden" not in timeline


def test_demo_draws_progress_on_a_terminal(run: Run) -> None:
    """On a terminal (TTY_COMPATIBLE=1 stands for one) demo draws its progress on stderr."""
    result = CliRunner(env={"TTY_COMPATIBLE": "1", "FLEETLEDGER_URL": None}).invoke(
        app, ["demo", "--tasks", "2", "--ledger", "memory://"]
    )

    assert result.exit_code == 0, result.output
    assert "simulating tasks" in result.stderr


def test_demo_json_draws_no_progress_even_on_a_terminal(run: Run) -> None:
    """--json keeps stderr silent: the output is for programs."""
    result = CliRunner(env={"TTY_COMPATIBLE": "1", "FLEETLEDGER_URL": None}).invoke(
        app, ["demo", "--tasks", "2", "--json", "--ledger", "memory://"]
    )

    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_demo_draws_no_progress_when_stderr_is_not_a_terminal(run: Run) -> None:
    """Piped or logged, stderr stays silent."""
    result = run("demo", "--tasks", "2", ledger="memory://")

    assert result.stderr == ""


def test_demo_framework_openai_agents_prints_the_replay_of_its_agent_run(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo --framework openai-agents runs the scripted refund through the adapter: the
    refusal of the unapproved call and the approved refund are in the replay."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = run("demo", "--framework", "openai-agents", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    types = [e["type"] for e in shown["events"]]
    assert shown["output"] == "Order 991 is refunded: 42.00 EUR."
    assert types[0] == "task.requested"
    assert types[-1] == "task.completed"
    assert {"task.handed_off", "governance.policy.denied", "governance.approval.granted"} <= set(
        types
    )
    assert types.count("tool.call.completed") == 2


def test_demo_framework_shows_the_timeline(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --json the run is shown as the task's timeline, and how to replay it."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = run("demo", "--framework", "openai-agents")
    assert result.exit_code == 0, result.output
    assert "approval.granted" in result.stdout
    assert "fleetledger replay task-agents-" in result.stdout
