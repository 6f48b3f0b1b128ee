"""``fleetledger plan`` measures a Kafka ledger as it measures SQLite: rates, sizes, groups."""

from __future__ import annotations

import json
import uuid

from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from interop.brokers import Tansu


def test_plan_measures_a_kafka_ledger_and_prices_both_architectures(tansu: Tansu) -> None:
    """Twenty task events and one committed group give a measured plan (Tansu: fast)."""
    url = f"kafka://{tansu.address}?namespace=p{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(20)])
        with ledger.consumer("audit", ["task"]) as consumer:
            consumer.poll(max=5, timeout=5)
            consumer.commit()
    runner = CliRunner(env={"FLEETLEDGER_URL": None})
    result = runner.invoke(app, ["plan", "--ledger", url, "--scale", "100", "--json"])
    data = json.loads(result.stdout)
    task = data["inputs"]["families"][0]

    assert result.exit_code == 0, result.output
    assert task["name"] == "task"
    assert task["mean_size"] > 0
    assert data["inputs"]["origins"]["fan-out"] == "ledger (consumer groups)"
    assert data["architectures"]["shared nothing"][0]["total"] > 0
