"""Metrics and tracing: what an SRE alerts on, read from the same ledger that drives the fleet.

Process-local instruments (appends, latency, failures, handler retries, dead letters) live in
:mod:`fleetledger.observe.metrics`; the layers above record into them, and the metrics
endpoint serves them beside the figures it reads from the ledger at scrape time.
"""
