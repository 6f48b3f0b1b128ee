"""``fleetledger.toml``: finding it, reading it (every key known, every fault with its line),
opening the ledger it describes, and appending principals to it.

Governance parses its own sections (``[[rules]]``, ``[[ordering]]``) through
:meth:`Config.section`; :func:`line_of` maps any path in the parsed file to its line.
"""

from fleetledger.config.editing import add_principal, principal_table, toml_string
from fleetledger.config.file import (
    CONFIG_ENV,
    CONFIG_NAME,
    Config,
    find_config,
    parse_config,
    read_config,
)
from fleetledger.config.lines import key_lines, line_of

__all__ = [
    "CONFIG_ENV",
    "CONFIG_NAME",
    "Config",
    "add_principal",
    "find_config",
    "key_lines",
    "line_of",
    "parse_config",
    "principal_table",
    "read_config",
    "toml_string",
]
