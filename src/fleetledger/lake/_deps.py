"""The lake's optional dependencies, imported in one place so a missing one says how to get it.

``import fleetledger`` never imports pyarrow, DuckDB or pyiceberg; the lake's modules ask here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fleetledger.errors import MissingExtra


def need(module: str) -> ModuleType:
    """The module ``module`` of the ``[lake]`` extra; :class:`MissingExtra` with the install
    line when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra("lake", module.split(".", 1)[0]) from exc
