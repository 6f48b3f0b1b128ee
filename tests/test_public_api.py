"""The public API is small and pinned: changing it is a decision, not an accident."""

import subprocess
import sys

import fleetledger

PUBLIC_API = [
    "AccessDenied",
    "AlreadyStored",
    "Appended",
    "AsyncConsumer",
    "AsyncLedger",
    "BackendError",
    "Backpressure",
    "Classification",
    "Cleanup",
    "Config",
    "ConfigurationError",
    "ConsistencyProof",
    "Consumer",
    "ContractError",
    "DataKey",
    "DeadLetter",
    "DeadLetters",
    "Erasure",
    "Event",
    "EventData",
    "EventFilter",
    "EventTooLarge",
    "EventType",
    "FOREVER",
    "FamilyPolicy",
    "Fenced",
    "ForeignRecord",
    "GroupMove",
    "HeadReplay",
    "IdConflict",
    "InclusionProof",
    "IncompatibleSchema",
    "IntegrityError",
    "KeyStore",
    "Kind",
    "Lag",
    "Ledger",
    "LedgerClosed",
    "LedgerError",
    "LedgerLog",
    "MemoryKeyStore",
    "MissingExtra",
    "NewEvent",
    "NotFound",
    "NotRecorded",
    "PartitionKey",
    "Policy",
    "PolicyViolation",
    "Position",
    "Principal",
    "ReadOnlyLedger",
    "Recorder",
    "RunStats",
    "Runner",
    "SQLiteKeyStore",
    "StoredHead",
    "TaskProjection",
    "TaskState",
    "TopicInfo",
    "UnknownEventType",
    "Verification",
    "__version__",
    "open",
    "open_async",
    "project",
    "run_projection",
]


def test_all_lists_exactly_the_pinned_names() -> None:
    """fleetledger.__all__ is the pinned list, sorted."""
    assert fleetledger.__all__ == PUBLIC_API
    assert sorted(fleetledger.__all__) == fleetledger.__all__


def test_every_public_name_is_importable() -> None:
    """Each name in __all__ exists on the package."""
    for name in fleetledger.__all__:
        assert hasattr(fleetledger, name), name


def test_every_error_derives_from_ledger_error() -> None:
    """One error tree: callers can catch LedgerError for any deliberate failure."""
    errors = [v for v in vars(fleetledger).values() if isinstance(v, type)]
    for error in errors:
        if issubclass(error, Exception):
            assert issubclass(error, fleetledger.LedgerError), error


def test_importing_fleetledger_does_not_import_optional_extras() -> None:
    """`import fleetledger` stays light: no Kafka, Arrow, web stack or agent framework."""
    code = (
        "import sys, fleetledger; "
        "print(sorted(m for m in ('confluent_kafka','pyarrow','duckdb','fastapi','agents','mcp') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_readme_quickstart_runs(tmp_path: object) -> None:
    """The issue's shape of use works end to end on a temporary SQLite ledger."""
    ledger = fleetledger.open(f"sqlite:///{tmp_path}/fleet.db")
    with ledger:
        pos = ledger.append(
            "task.requested",
            subject="task-42",
            source="agents/planner",
            tenant="acme",
            data={"goal": "refund order 991", "priority": "high"},
        )
        ledger.append_many(
            [
                {
                    "type": "task.assigned",
                    "subject": "task-42",
                    "source": "agents/planner",
                    "data": {"assignee": "agents/executor-1"},
                },
                {
                    "type": "tool.call.requested",
                    "subject": "task-42",
                    "source": "agents/executor-1",
                    "data": {"call_id": "c-1", "tool": "payments.refund"},
                },
            ]
        )
        assert [e.type for e in ledger.replay("task-42")] == [
            "task.requested",
            "task.assigned",
            "tool.call.requested",
        ]
        with ledger.consumer("audit", families=["governance", "tool"]) as consumer:
            assert [e.type for e in consumer.poll(max=500)] == ["tool.call.requested"]
            consumer.commit()
        assert sum(row.lag for row in ledger.lag("audit")) == 0
        assert pos.topic == "fleet.task"
