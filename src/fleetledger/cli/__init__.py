"""The ``fleetledger`` command line: one module per command, thin over the public API.

Exit codes (the table is in :mod:`fleetledger.cli.exits`): 0 ok, 1 a check failed, 2 usage or
input error, 3 the backend is unavailable or the environment refused, 4 refused by policy,
130 interrupted by Ctrl-C.
"""
