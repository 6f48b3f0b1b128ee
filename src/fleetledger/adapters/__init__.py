"""Adapters that put the traffic of agent frameworks into the ledger (VISION §2, issue 13).

Each framework lives in a subpackage of its own behind an extra (``fleetledger[langgraph]``,
...), so importing :mod:`fleetledger` never imports a framework. Adapters are thin edges: they
use the public API of the ledger only (``append``, ``replay``, ``read``, ``prove``), never a
backend.
"""
