"""LangChain and LangGraph adapters (extra ``fleetledger[langgraph]``).

- :class:`LedgerSaver`: a LangGraph checkpointer whose checkpoints and pending writes are
  ledger events (the ``graph`` family), so a graph's state history lives in the ledger,
  is replayed with the thread's other events and can be proved.
- :class:`LedgerCallbackHandler`: a LangChain callback handler recording runs, tool calls,
  agent actions and retrievals through :class:`~fleetledger.adapters.Recorder`, failing
  closed (a tool call the ledger cannot record does not run).

Importing this package without the extra raises :class:`~fleetledger.MissingExtra` with the
install line.
"""

from __future__ import annotations

from fleetledger.errors import MissingExtra

try:
    import langchain_core  # noqa: F401 -- checked here so the error names the extra
    import langgraph.checkpoint.base  # noqa: F401
except ImportError as exc:  # the [langgraph] extra is not installed
    raise MissingExtra("langgraph", exc.name or "langgraph") from exc

from fleetledger.adapters.langgraph.callbacks import LedgerCallbackHandler
from fleetledger.adapters.langgraph.checkpointer import LedgerSaver, register_graph_types
from fleetledger.adapters.langgraph.types import (
    CHECKPOINT_SAVED,
    GRAPH_TYPES,
    THREAD_DELETED,
    WRITES_SAVED,
)

__all__ = [
    "CHECKPOINT_SAVED",
    "GRAPH_TYPES",
    "THREAD_DELETED",
    "WRITES_SAVED",
    "LedgerCallbackHandler",
    "LedgerSaver",
    "register_graph_types",
]
