"""``fleetledger demo`` with the real simulated fleet."""

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

Run = Callable[..., Result]

pytest.importorskip("fleetledger.demo")


def test_demo_prints_families_lag_and_the_sample_timeline(run: Run) -> None:
    """demo simulates the fleet and shows events per family, lag per group and a timeline."""
    result = run("demo", "--tasks", "3", "--seed", "7")

    assert result.exit_code == 0, result.output
    for word in ("governance", "runtime", "audit", "evaluation", "compensated"):
        assert word in result.stdout


def test_demo_json_summarises_the_run(run: Run) -> None:
    """demo --json prints one object whose family counts add up to the events appended."""
    result = run("demo", "--tasks", "3", "--json")

    summary = json.loads(result.stdout)
    assert summary["tasks"] == 3
    assert sum(summary["families"].values()) == summary["events"]
    assert set(summary["groups"]) == {"runtime", "audit", "evaluation"}
    assert summary["sample_task"]
