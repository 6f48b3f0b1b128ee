"""``fleetledger scorecard`` on a Kafka ledger: measured there, and Kafka compatibility holds."""

from __future__ import annotations

import json
import uuid

from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app


def test_the_scorecard_of_a_kafka_ledger_finds_the_kafka_backend_and_measures_it(
    bootstrap: str,
) -> None:
    """Criticality is measured from the broker's records; compatibility answers yes."""
    url = f"kafka://{bootstrap}?namespace=s{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many(
            [
                {"type": "task.requested", "subject": f"t-{n}", "data": {"goal": "g"}}
                for n in range(4)
            ]
            + [{"type": "task.started", "subject": f"t-{n}"} for n in range(4)]
        )

    result = CliRunner().invoke(app, ["scorecard", "--ledger", url, "--json"])

    assert result.exit_code == 0, result.stderr
    card = json.loads(result.stdout)
    scores = {s["dimension"]: s for s in card["scores"]}
    assert scores["criticality"]["figure"].startswith("50.0% intents (4 of 8 events)")
    compatibility = card["checklists"][0]["items"][0]
    assert (compatibility["area"], compatibility["status"]) == ("Compatibility", "yes")
