"""scorecard -i: asks only what no flag or file answered, the measured score as the default."""

from __future__ import annotations

from fleetledger.cli.scorecard import interview
from fleetledger.planning.scorecard import measured_scores


def test_the_interview_asks_each_unanswered_dimension_and_skips_blank_replies() -> None:
    """Five asked (criticality was given); '7' is asked again, blank leaves it unscored."""
    replies = iter(["3", "7", "4", "", "2", "5"])
    asked: list[str] = []

    def ask(prompt: str, default: int | None) -> str:
        asked.append(prompt.split(" (", maxsplit=1)[0])
        return next(replies)

    found = interview(measured_scores(None), {"criticality": 2}, ask)

    assert asked[:2] == ["Replay depth", "Traffic variance"]
    assert found == {
        "replay_depth": 3,
        "traffic_variance": 4,
        "governance_pressure": 2,
        "migration_tolerance": 5,
    }
