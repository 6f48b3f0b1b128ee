"""The lake export of a Kafka ledger: one row per leaf, verified from the files and the key."""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

import fleetledger
from fleetledger.audit.notary import Notary
from fleetledger.integrity import NoteSigner
from fleetledger.lake import Exporter, ParquetLake, ParquetSink
from fleetledger.lake.verify import verify_export


def test_a_signed_kafka_ledger_exports_to_parquet_that_verifies_alone(
    bootstrap: str, tmp_path: Path
) -> None:
    """Every leaf is a row whose body hashes into a tree the signed head covers."""
    url = f"kafka://{bootstrap}?namespace=x{uuid.uuid4().hex[:10]}&timeout=10"
    signer = NoteSigner.generate("lake.example.com")
    out = tmp_path / "out"
    with fleetledger.open(url, default_source="tests", signer=signer) as ledger:
        for task in ("t-1", "t-2", "t-3"):
            ledger.append("task.requested", subject=task, data={"goal": "g"})
            ledger.append_many(
                [
                    {"type": "task.started", "subject": task},
                    {
                        "type": "tool.call.requested",
                        "subject": task,
                        "data": {"call_id": f"c-{task}", "tool": "search"},
                    },
                    {"type": "task.completed", "subject": task, "data": {"result": {}}},
                ]
            )
        Notary(ledger.log, ledger.namespace, signer).run_once()
        report = Exporter(ledger, ParquetSink(out, ledger.namespace)).run_once()
        leaves = sum(
            ledger.log.tree_size(info.topic, partition)
            for info in ledger.topics()
            for partition in range(len(info.partitions))
        )
    files = [str(p) for ps in ParquetLake(out).files().values() for p in ps if "events" in str(p)]
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet({files}, union_by_name = true)")
    result = verify_export(ParquetLake(out), signer.verifier)
    assert report.rows == leaves > 0
    assert rows.fetchall() == [(leaves,)]
    assert result.ok, [str(f) for f in result.findings]
    assert result.signatures_checked
