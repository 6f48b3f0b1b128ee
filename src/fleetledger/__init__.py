"""fleetledger: the coordination ledger for fleets of AI agents.

Durable, ordered, replayable, tamper-evident records of who asked for what, which agent did it,
which tool it called, who approved it, and how it turned out::

    import fleetledger
    ledger = fleetledger.open("sqlite:///fleet.db")
    ledger.append("task.requested", subject="task-42", source="agents/planner",
                  data={"goal": "refund order 991"})
"""

from fleetledger.adapters import Recorder
from fleetledger.audit import ConsistencyProof, InclusionProof, StoredHead, Verification
from fleetledger.backends.keys import SQLiteKeyStore
from fleetledger.backends.protocols import AlreadyStored
from fleetledger.config import Config
from fleetledger.consumers import (
    DeadLetter,
    DeadLetters,
    Runner,
    RunStats,
    TaskProjection,
    project,
    run_projection,
)
from fleetledger.errors import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    EventTooLarge,
    Fenced,
    IdConflict,
    IncompatibleSchema,
    IntegrityError,
    LedgerClosed,
    LedgerError,
    MissingExtra,
    NotFound,
    NotRecorded,
    PolicyViolation,
    ReadOnlyLedger,
    UnknownEventType,
)
from fleetledger.events import Event, EventData, EventType, Kind
from fleetledger.events.foreign import ForeignRecord
from fleetledger.events.new import NewEvent
from fleetledger.events.taskstate import TaskState
from fleetledger.governance import DataKey, KeyStore, MemoryKeyStore, Policy, Principal
from fleetledger.ledger import (
    Appended,
    AsyncConsumer,
    AsyncLedger,
    Consumer,
    Erasure,
    EventFilter,
    GroupMove,
    HeadReplay,
    Lag,
    Ledger,
    LedgerLog,
    TopicInfo,
    open,
    open_async,
)
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy, PartitionKey
from fleetledger.types import Classification, Position

__version__ = "0.1.0"

__all__ = [
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
