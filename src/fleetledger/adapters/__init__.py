"""Framework adapters: what agent frameworks do, recorded as ledger events.

:mod:`.recorder` is the common part (runs, causation chains, trace context, the mapping from
framework concepts to ledger types, failing closed); each framework has a module of its own,
importable only with its extra: :mod:`.openai_agents` (``[openai-agents]``), :mod:`.mcp`
(``[mcp]``) and :mod:`.langgraph` (``[langgraph]``: a checkpointer and a callback handler).
Adapters use the public API only (an import-linter contract keeps it so).
"""

from fleetledger.adapters.recorder import Approval, Recorder, Run, ToolCall

__all__ = ["Approval", "Recorder", "Run", "ToolCall"]
