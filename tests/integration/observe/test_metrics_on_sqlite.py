"""The metrics of a real SQLite ledger: what the write path counts, and what a scrape reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

import fleetledger
from fleetledger import ContractError, Ledger, PolicyViolation
from fleetledger.governance import parse_ordering
from fleetledger.integrity import NoteSigner
from fleetledger.observe.collector import LedgerCollector


def figures(ledger: Ledger) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One scrape of the ledger's figures: value by sample name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in LedgerCollector(ledger).collect()
        for sample in metric.samples
    }


def counted(name: str, **labels: str) -> float:
    """A process-local instrument's current value (0 before its first use)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A new SQLite ledger."""
    with fleetledger.open(f"sqlite:///{tmp_path}/l.db", default_source="tests") as opened:
        yield opened


def test_appends_are_counted_per_family_with_their_bytes_and_latency(ledger: Ledger) -> None:
    """append and append_many add events and canonical bytes per family, one latency each."""
    events, size = (
        counted("fleetledger_appended_events_total", family="task"),
        counted("fleetledger_appended_bytes_total", family="task"),
    )
    calls = counted("fleetledger_append_duration_seconds_count")
    ledger.append("task.requested", subject="t-1", data={"goal": "g"})
    ledger.append_many(
        [
            {"type": "task.started", "subject": "t-1"},
            {"type": "tool.call.started", "subject": "t-1", "data": {"call_id": "c", "tool": "x"}},
        ]
    )
    stored = sum(len(r.body) for r in ledger.log.read(ledger.topic("task"), 0, 0, 10))
    stored += sum(
        len(r.body) for p in range(1, 4) for r in ledger.log.read(ledger.topic("task"), p, 0, 10)
    )
    assert counted("fleetledger_appended_events_total", family="task") - events == 2
    assert counted("fleetledger_appended_bytes_total", family="task") - size == stored
    assert counted("fleetledger_append_duration_seconds_count") - calls == 2


def test_a_refused_append_is_counted_by_the_kind_of_error(ledger: Ledger) -> None:
    """A malformed event counts as a failed append with reason contract, and nothing else."""
    before = counted("fleetledger_append_failures_total", reason="contract")
    appended = counted("fleetledger_appended_events_total", family="task")
    with pytest.raises(ContractError):
        ledger.append("task.requested", subject="t-1", data={"no_goal": True})
    assert counted("fleetledger_append_failures_total", reason="contract") - before == 1
    assert counted("fleetledger_appended_events_total", family="task") == appended


def test_a_policy_denial_is_counted_in_the_process_and_read_from_the_ledger(
    tmp_path: Path,
) -> None:
    """An ordering rule's refusal counts as a denial (reason policy) and, recorded as
    governance.policy.denied, shows in every scrape of the ledger."""
    rules = parse_ordering(
        [
            {
                "name": "payments need an approval",
                "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
                "requires": {"type": "governance.approval.granted"},
                "join": ["subject", "data.call_id"],
            }
        ]
    )
    denials = counted("fleetledger_policy_denials_total")
    refused = counted("fleetledger_append_failures_total", reason="policy")
    url = f"sqlite:///{tmp_path}/l.db"
    with fleetledger.open(url, default_source="tests", ordering=rules) as ledger:
        with pytest.raises(PolicyViolation):
            ledger.append(
                "tool.call.started", subject="t-1", data={"call_id": "c", "tool": "payments.pay"}
            )
        read = figures(ledger)
    assert counted("fleetledger_policy_denials_total") - denials == 1
    assert counted("fleetledger_append_failures_total", reason="policy") - refused == 1
    assert read[("fleetledger_recorded_policy_denials_total", ())] == 1


def test_consumer_lag_drops_to_zero_on_the_partitions_a_group_committed(ledger: Ledger) -> None:
    """Lag per group and partition is end minus committed: all but one, then none."""
    ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(8)])
    with ledger.consumer("audit", ["task"]) as consumer:
        consumer.poll(max=1)
        consumer.commit()
        lag = [v for (n, _), v in figures(ledger).items() if n == "fleetledger_consumer_lag_events"]
        assert sum(lag) == 7
        while consumer.poll(max=100):
            pass
        consumer.commit()
    after = figures(ledger)
    lags = {k: v for k, v in after.items() if k[0] == "fleetledger_consumer_lag_events"}
    assert len(lags) == 4
    assert sum(lags.values()) == 0
    assert all(dict(labels)["group"] == "audit" for _, labels in lags)


def test_unsigned_leaves_fall_to_zero_when_the_ledger_signs(tmp_path: Path) -> None:
    """Before a head, every leaf is unsigned; after sign, none is, the signed size is the
    tree's, and the head's age is a few seconds at most."""
    url = f"sqlite:///{tmp_path}/l.db"
    signer = NoteSigner.generate("ledger.example.com")
    with fleetledger.open(url, signer=signer, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(5)])
        before = figures(ledger)
        ledger.sign()
        after = figures(ledger)

    def total(read: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
        return sum(
            v for (n, labels), v in read.items() if n == name and ("family", "task") in labels
        )

    assert total(before, "fleetledger_unsigned_leaves") == 5
    assert ("fleetledger_signed_head_age_seconds", ()) not in before
    assert total(after, "fleetledger_unsigned_leaves") == 0
    assert total(after, "fleetledger_signed_tree_size_leaves") == 5
    assert after[("fleetledger_signed_heads_total", ())] == 1
    assert 0 <= after[("fleetledger_signed_head_age_seconds", ())] < 60


def test_storage_bytes_are_the_retained_events_bytes_and_follow_new_appends(
    ledger: Ledger,
) -> None:
    """Storage per family is the sum of the stored bodies, kept up to date across scrapes."""
    collector = LedgerCollector(ledger)

    def storage() -> float:
        return next(
            s.value
            for m in collector.collect()
            for s in m.samples
            if s.name == "fleetledger_storage_bytes" and s.labels["family"] == "tool"
        )

    def stored() -> int:
        topic = ledger.topic("tool")
        return sum(len(r.body) for p in range(4) for r in ledger.log.read(topic, p, 0, 1000))

    data = {"call_id": "c", "tool": "search", "arguments": {"q": "x" * 300}}
    ledger.append("tool.call.started", subject="t-1", data=data)
    assert storage() == stored() > 300
    ledger.append_many(
        [{"type": "tool.call.started", "subject": f"t-{n}", "data": data} for n in range(6)]
    )
    assert storage() == stored()


def test_partition_skew_is_the_hottest_partitions_share_of_a_familys_appends(
    ledger: Ledger,
) -> None:
    """Every event of one task lands on one partition: skew 1; two more tasks on others lower it."""
    ledger.append_many([{"type": "task.started", "subject": "hot"} for _ in range(6)])
    assert figures(ledger)[("fleetledger_partition_skew_ratio", (("family", "task"),))] == 1.0
    ledger.append_many([{"type": "task.started", "subject": f"t-{n}"} for n in range(20)])
    read = figures(ledger)
    ends = [
        value
        for (name, labels), value in read.items()
        if name == "fleetledger_log_end_offset" and ("family", "task") in labels
    ]
    skew = read[("fleetledger_partition_skew_ratio", (("family", "task"),))]
    assert skew == max(ends) / sum(ends) < 1
