"""The ``fleetledger`` command line: one module per command, thin over the public API.

Exit codes: 0 ok, 1 a check failed (or the ledger failed), 2 a usage or input error.
"""
