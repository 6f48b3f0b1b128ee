"""The ``graph`` family: the event types a LangGraph checkpointer writes into the ledger.

They are registered as :class:`~fleetledger.events.spec.TypeSpec` (stored in the ledger as
``governance.type.registered``), not as Python models held by one process, so that every
process opening the ledger (``fleetledger replay``, the server, a verifier) reads a graph's
history without importing LangGraph.

LangGraph serializes channel values with its own serializer (msgpack by default); the ledger
keeps each serialized value as a *typed blob*, ``{"type": ..., "base64": ...}``, so a value
comes back byte for byte and the leaf hash commits to exactly what the graph saved. The fields
holding conversation content (``channels``, ``writes``) are declared confidential: on a
ledger that encrypts from the event's classification up, they are encrypted for the thread's
data subject and ``forget`` erases them while every proof still verifies.
"""

from __future__ import annotations

from fleetledger.events.spec import FieldSpec, TypeSpec
from fleetledger.types import Classification

CHECKPOINT_SAVED = "graph.checkpoint.saved"
WRITES_SAVED = "graph.writes.saved"
THREAD_DELETED = "graph.thread.deleted"

_TEXT = FieldSpec("string")
_OPTIONAL_TEXT = FieldSpec("string", required=False)

GRAPH_TYPES: tuple[TypeSpec, ...] = (
    TypeSpec(
        type=CHECKPOINT_SAVED,
        description=(
            "A LangGraph checkpoint of the thread (the event's subject): the checkpoint and"
            " its metadata as typed blobs, and the channel values that changed, by version."
        ),
        classification=Classification.INTERNAL,
        confidential=["channels"],
        fields={
            "checkpoint_ns": _TEXT,
            "checkpoint_id": _TEXT,
            "parent_checkpoint_id": _OPTIONAL_TEXT,
            "step": FieldSpec("integer", required=False),
            "source": _OPTIONAL_TEXT,
            "checkpoint": FieldSpec("object"),
            "metadata": FieldSpec("object"),
            "channels": FieldSpec("object"),
        },
    ),
    TypeSpec(
        type=WRITES_SAVED,
        description=(
            "Pending writes of one task of a LangGraph step, saved against the checkpoint"
            " they follow: each channel, its index and its value as a typed blob."
        ),
        classification=Classification.INTERNAL,
        confidential=["writes"],
        fields={
            "checkpoint_ns": _TEXT,
            "checkpoint_id": _TEXT,
            "task_id": _TEXT,
            "task_path": _OPTIONAL_TEXT,
            "writes": FieldSpec("array"),
        },
    ),
    TypeSpec(
        type=THREAD_DELETED,
        description=(
            "The thread's checkpoints were deleted for LangGraph: the checkpointer shows"
            " nothing recorded before this event, which the ledger keeps and can still prove."
        ),
        classification=Classification.INTERNAL,
        fields={"reason": _OPTIONAL_TEXT},
    ),
)
"""The types of the ``graph`` family, in the order they are registered."""
