"""mirror round trip for a cutover and a rollback: SQLite -> Kafka -> SQLite, nothing changed."""

import json
import uuid
from pathlib import Path

from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.demo import simulate
from fleetledger.mirror import compare, mirror


def test_a_ledger_survives_a_round_trip_through_kafka_unchanged(
    bootstrap: str, tmp_path: Path
) -> None:
    """SQLite -> Kafka -> SQLite keeps every partition's ids and bytes, and group positions."""
    namespace = f"m{uuid.uuid4().hex[:10]}"
    origin = f"sqlite:///{tmp_path}/origin.db?namespace={namespace}"
    cluster = f"kafka://{bootstrap}?namespace={namespace}&timeout=10"
    back = f"sqlite:///{tmp_path}/back.db?namespace={namespace}"
    with fleetledger.open(origin) as ledger:
        simulate(ledger, tasks=4, seed=3)
        with ledger.consumer("audit", ["governance", "tool"]) as consumer:
            consumer.poll(max=7)
            consumer.commit()

    runner = CliRunner()
    for source, destination in ((origin, cluster), (cluster, back)):
        result = runner.invoke(app, ["mirror", source, destination, "--groups", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.splitlines()[-1])["copied"] > 0

    with fleetledger.open(origin) as first, fleetledger.open(back) as last:
        checks = compare(first, last)
        assert checks
        assert all(check.ok for check in checks)
        assert next_to_read(first, "audit") == next_to_read(last, "audit")


def test_every_task_replays_in_the_same_order_on_sqlite_kafka_and_back(
    bootstrap: str, tmp_path: Path
) -> None:
    """Replay gives one sequence per task on the source, the Kafka copy and the copy back:
    the order key travels in the events' bytes, whatever each side's append order."""
    namespace = f"o{uuid.uuid4().hex[:10]}"
    origin = f"sqlite:///{tmp_path}/origin.db?namespace={namespace}"
    cluster = f"kafka://{bootstrap}?namespace={namespace}&timeout=10"
    back = f"sqlite:///{tmp_path}/back.db?namespace={namespace}"
    with fleetledger.open(origin) as ledger:
        report = simulate(ledger, tasks=3, seed=5)
        tasks = sorted({e.subject for p in range(4) for e in ledger.read("task", p)})
    for source, destination in ((origin, cluster), (cluster, back)):
        with fleetledger.open(source) as src, fleetledger.open(destination) as dst:
            assert mirror(src, dst).ok
    replays = []
    for url in (origin, cluster, back):
        with fleetledger.open(url, readonly=True) as ledger:
            replays.append({task: [e.id for e in ledger.replay(task)] for task in tasks})
    assert report.sample_task in tasks
    assert replays[0] == replays[1] == replays[2]


def next_to_read(ledger: fleetledger.Ledger, group: str) -> dict[tuple[str, int], list[str]]:
    """The id of the event each of the group's partitions resumes at (none when caught up)."""
    committed = ledger.log.committed(group)
    assert committed
    return {
        (topic, partition): [r.id for r in ledger.log.read(topic, partition, offset, 1)]
        for (topic, partition), offset in committed.items()
    }
