"""The planning tools of the seeds, for the people who must decide before committing.

A readiness scorecard (``fleetledger scorecard``), a retention, fan-out and cross-zone cost model
for shared-nothing and shared-storage Kafka (``fleetledger plan``) and a rehearsed migration
between two ledgers (``fleetledger plan migrate``). Each reads what it can from a live ledger
through the public API, so its figures are the workload's own rather than a guess.
"""
