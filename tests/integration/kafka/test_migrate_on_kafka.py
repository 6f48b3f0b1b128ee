"""Rehearsing a migration between SQLite and Kafka, both ways, and a rollback from Kafka."""

import uuid
from pathlib import Path

import fleetledger
from fleetledger.demo import simulate
from fleetledger.planning.migrate import Step, rehearse


def urls(bootstrap: str, tmp_path: Path) -> tuple[str, str, str]:
    """A SQLite origin, a Kafka namespace of its own, and a SQLite file to come back to."""
    namespace = f"r{uuid.uuid4().hex[:10]}"
    return (
        f"sqlite:///{tmp_path}/origin.db?namespace={namespace}",
        f"kafka://{bootstrap}?namespace={namespace}&timeout=10",
        f"sqlite:///{tmp_path}/back.db?namespace={namespace}",
    )


def fleet(url: str) -> None:
    """A small simulated fleet and a group that read part of it."""
    with fleetledger.open(url) as ledger:
        simulate(ledger, tasks=3, seed=5)
        with ledger.consumer("audit", ["task", "tool"]) as consumer:
            consumer.poll(max=7)
            consumer.commit()


def test_a_sqlite_ledger_rehearses_its_move_to_kafka_and_back(
    bootstrap: str, tmp_path: Path
) -> None:
    """SQLite -> Kafka passes every step; so does Kafka -> SQLite from that copy."""
    origin, cluster, back = urls(bootstrap, tmp_path)
    fleet(origin)

    for source, destination in ((origin, cluster), (cluster, back)):
        with fleetledger.open(source) as src, fleetledger.open(destination) as dst:
            rehearsal = rehearse(src, dst)
        assert rehearsal.ok, (source, destination, rehearsal.failed)
        assert rehearsal.rollback.events == 0


def test_events_written_to_kafka_after_the_cutover_are_copied_back_to_sqlite(
    bootstrap: str, tmp_path: Path
) -> None:
    """After producers wrote to the Kafka copy, the rollback brings those events to SQLite."""
    origin, cluster, _ = urls(bootstrap, tmp_path)
    fleet(origin)

    with (
        fleetledger.open(origin) as src,
        fleetledger.open(cluster, default_source="agents/after") as dst,
    ):

        def produce_after_cutover(done: Step) -> None:
            if done.name == "cutover":
                dst.append("task.requested", subject="after-cutover", data={"goal": "new"})
                dst.append("task.started", subject="after-cutover")

        rehearsal = rehearse(src, dst, on_step=produce_after_cutover)
        replayed = [event.type for event in src.replay("after-cutover")]

    assert rehearsal.ok, rehearsal.failed
    assert rehearsal.rollback.events == 2
    assert replayed == ["task.requested", "task.started"]
