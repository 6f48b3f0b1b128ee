"""fleetledger: the coordination ledger for fleets of AI agents.

Durable, ordered, replayable, tamper-evident records of who asked for what, which agent did it,
which tool it called, who approved it, and how it turned out::

    import fleetledger
    ledger = fleetledger.open("sqlite:///fleet.db")
    ledger.append("task.requested", subject="task-42", source="agents/planner",
                  data={"goal": "refund order 991"})
"""

from fleetledger.errors import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    EventTooLarge,
    IncompatibleSchema,
    IntegrityError,
    LedgerClosed,
    LedgerError,
    MissingExtra,
    NotFound,
    UnknownEventType,
)
from fleetledger.events import (
    Classification,
    Event,
    EventData,
    EventType,
    Kind,
    Position,
)
from fleetledger.governance import Principal
from fleetledger.ledger import (
    AsyncConsumer,
    AsyncLedger,
    Consumer,
    Lag,
    Ledger,
    TopicInfo,
    open,
    open_async,
)
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy, PartitionKey

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "AsyncConsumer",
    "AsyncLedger",
    "BackendError",
    "Backpressure",
    "Classification",
    "Cleanup",
    "ConfigurationError",
    "Consumer",
    "ContractError",
    "Event",
    "EventData",
    "EventTooLarge",
    "EventType",
    "FOREVER",
    "FamilyPolicy",
    "IncompatibleSchema",
    "IntegrityError",
    "Kind",
    "Lag",
    "Ledger",
    "LedgerClosed",
    "LedgerError",
    "MissingExtra",
    "NotFound",
    "PartitionKey",
    "Position",
    "Principal",
    "TopicInfo",
    "UnknownEventType",
    "__version__",
    "open",
    "open_async",
]
