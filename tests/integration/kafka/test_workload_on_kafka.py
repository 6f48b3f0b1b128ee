"""The planning tools' workload measured on a Kafka ledger: the same figures as on SQLite."""

from __future__ import annotations

import uuid

import fleetledger
from fleetledger.planning.workload import measure


def test_a_kafka_ledger_measures_its_events_sizes_and_group_rewinds(bootstrap: str) -> None:
    """Sizes are the stored bodies (transaction markers are not events); a reset is a rewind."""
    url = f"kafka://{bootstrap}?namespace=w{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(6)])
        with ledger.consumer("audit", ["task"]) as consumer:
            read = 0
            for _ in range(10):
                read += len(consumer.poll(timeout=5))
                consumer.commit()
                if read == 6:
                    break
        ledger.move_group("audit", "earliest", families=["task"])
        workload = measure(ledger)
        topic = ledger.topic("task")
        stored = sum(len(r.body) for p in range(4) for r in ledger.log.read(topic, p, 0, 100))
    task = workload.family("task")
    assert task is not None
    assert (task.events, task.bytes) == (6, stored)
    (group,) = workload.groups
    assert (group.group, group.lag, group.rewinds, group.rewound_events) == ("audit", 6, 1, 6)
