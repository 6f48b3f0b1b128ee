"""The scrape-time metrics of a Kafka ledger: consumer lag and storage, as on SQLite."""

from __future__ import annotations

import uuid

import fleetledger
from fleetledger.observe.collector import LedgerCollector


def test_lag_and_storage_are_read_from_the_broker(bootstrap: str) -> None:
    """Lag is end minus committed per partition; storage is the events' canonical bytes."""
    url = f"kafka://{bootstrap}?namespace=m{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(6)])
        with ledger.consumer("audit", ["task"]) as consumer:
            read = consumer.poll(max=2, timeout=5)
            consumer.commit()
        samples = [s for m in LedgerCollector(ledger).collect() for s in m.samples]
        topic = ledger.topic("task")
        stored = sum(len(r.body) for p in range(4) for r in ledger.log.read(topic, p, 0, 100))
    lag = [s.value for s in samples if s.name == "fleetledger_consumer_lag_events"]
    storage = next(
        s.value
        for s in samples
        if s.name == "fleetledger_storage_bytes" and s.labels["family"] == "task"
    )
    assert len(read) == 2
    assert sum(lag) == 4
    assert storage == stored > 0
