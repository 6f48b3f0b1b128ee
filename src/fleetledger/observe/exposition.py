"""Serving the metrics: one registry holding the process's instruments and a ledger's figures.

The process-local instruments live in ``prometheus_client``'s default registry; the ledger's
figures come from a :class:`~fleetledger.observe.collector.LedgerCollector` of its own. Each
exposition gets a fresh registry over both, so one process can serve several ledgers (or the
same one twice, as tests do) without the default registry refusing duplicate names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from fleetledger.observe.collector import Figure, LedgerCollector, ObservedLedger

__all__ = ["exposition", "registry_for", "serve"]


class _ProcessInstruments(Collector):
    """The default registry's metrics (this process's instruments), served from another."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def registry_for(ledger: ObservedLedger, *, figures: Sequence[Figure] = ()) -> CollectorRegistry:
    """A registry of this process's instruments and ``ledger``'s figures (plus ``figures``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessInstruments())
    registry.register(LedgerCollector(ledger, figures=figures))
    return registry


def exposition(ledger: ObservedLedger, *, figures: Sequence[Figure] = ()) -> str:
    """The Prometheus text exposition of ``ledger``'s metrics, read now."""
    return generate_latest(registry_for(ledger, figures=figures)).decode()


def serve(
    ledger: ObservedLedger,
    *,
    host: str = "127.0.0.1",
    port: int = 9464,
    figures: Sequence[Figure] = (),
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` for ``ledger`` on ``host:port`` from a daemon thread (port 0: any
    free port, read it from ``server.server_port``). Stop it with ``server.shutdown()``."""
    return start_http_server(port, addr=host, registry=registry_for(ledger, figures=figures))
