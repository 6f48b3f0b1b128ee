"""``replay`` and ``tail`` narrowed by type globs, agent, tenant and recorded time."""

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

import fleetledger

Run = Callable[..., Result]


@pytest.fixture
def mixed(url: str) -> str:
    """Task t: a request (acme), a tool call and its failure (executor; acme, globex), a start."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t", tenant="acme", data={"goal": "g"})
        ledger.append(
            "tool.call.requested",
            subject="t",
            agentid="executor",
            tenant="acme",
            data={"call_id": "c", "tool": "payments.refund"},
        )
        ledger.append(
            "tool.call.failed",
            subject="t",
            agentid="executor",
            tenant="globex",
            data={"call_id": "c", "tool": "payments.refund", "error": "timeout"},
        )
        ledger.append("task.started", subject="t", agentid="planner")
    return url


def types(result: Result) -> list[str]:
    """The types of the events a --json command printed."""
    assert result.exit_code == 0, result.output
    return [json.loads(line)["type"] for line in result.stdout.splitlines()]


def test_replay_type_takes_globs(run: Run, mixed: str) -> None:
    """--type tool.* keeps the tool events."""
    assert types(run("replay", "t", "--type", "tool.*", "--json")) == [
        "tool.call.requested",
        "tool.call.failed",
    ]


def test_replay_type_repeats(run: Run, mixed: str) -> None:
    """Several --type options keep events of any of them."""
    result = run("replay", "t", "--type", "task.requested", "--type", "*.failed", "--json")

    assert types(result) == ["task.requested", "tool.call.failed"]


def test_replay_agent_keeps_that_agents_events(run: Run, mixed: str) -> None:
    """--agent planner keeps the planner's event."""
    assert types(run("replay", "t", "--agent", "planner", "--json")) == ["task.started"]


def test_replay_tenant_keeps_that_tenants_events(run: Run, mixed: str) -> None:
    """--tenant globex keeps globex's event."""
    assert types(run("replay", "t", "--tenant", "globex", "--json")) == ["tool.call.failed"]


def test_replay_since_a_duration_ago_keeps_what_was_recorded_since(run: Run, mixed: str) -> None:
    """--since 1h: everything was recorded in the last hour."""
    assert len(types(run("replay", "t", "--since", "1h", "--json"))) == 4


def test_replay_until_a_duration_ago_keeps_nothing_recorded_later(run: Run, mixed: str) -> None:
    """--until 1h: nothing was recorded before an hour ago, so no event matches (exit 1)."""
    result = run("replay", "t", "--until", "1h")

    assert result.exit_code == 1
    assert result.stderr == "error: no events for task 't' match\n"


def test_replay_since_an_rfc_3339_time_in_the_future_matches_nothing(run: Run, mixed: str) -> None:
    """--since takes RFC 3339 with a zone."""
    assert run("replay", "t", "--since", "2999-01-01T00:00:00Z").exit_code == 1


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_replay_refuses_a_time_without_a_zone_with_exit_2(
    run: Run, mixed: str, option: str
) -> None:
    """A naive time is a usage error, naming the option."""
    result = run("replay", "t", option, "2025-01-01T00:00:00")

    assert result.exit_code == 2
    assert f"error: {option} '2025-01-01T00:00:00' has no timezone" in result.stderr


def test_tail_takes_the_same_filters(run: Run, mixed: str) -> None:
    """tail --type and --agent narrow what it shows."""
    result = run("tail", "--type", "tool.*", "--agent", "executor", "--tenant", "acme", "--json")

    assert types(result) == ["tool.call.requested"]


def test_tail_since_keeps_recent_events(run: Run, mixed: str) -> None:
    """tail --since 1h shows the last events recorded in the last hour."""
    assert len(types(run("tail", "--since", "1h", "--json"))) == 4


def test_tail_refuses_a_time_without_a_zone_with_exit_2(run: Run, mixed: str) -> None:
    """tail --until with a naive time: exit 2."""
    assert run("tail", "--until", "2025-01-01").exit_code == 2
