"""``GET /ops/series``: the figures the operations page charts, sampled while the server runs.

Every ``interval`` seconds the server reads the same figures ``/metrics`` exposes (one
:class:`~fleetledger.observe.collector.LedgerCollector`, so storage is summed once and then
kept up to date) and keeps the last ``keep`` samples in memory: consumer lag per group, stored
bytes and events per family, recorded policy denials, dead letters by status, and the notary's
progress (leaves signed and not yet signed). The charts cover the time since the server
started; Prometheus, scraping ``/metrics``, keeps the long history.

The sampler reads as the server's own principal; the route answers only a principal with
``admin`` on every family, as ``/metrics``' storage figures do.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from prometheus_client.metrics_core import Metric
from starlette.concurrency import run_in_threadpool

from fleetledger import Ledger, LedgerError
from fleetledger.consumers.figures import dead_letter_figure
from fleetledger.observe.collector import LedgerCollector
from fleetledger.server.auth import acting
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["operations"], responses=ROUTE_PROBLEMS)

DEFAULT_INTERVAL = 10.0
DEFAULT_KEEP = 2160
"""Six hours of samples at the default interval."""

_SUMMED_BY = {
    "fleetledger_consumer_lag_events": ("lag", "group"),
    "fleetledger_storage_bytes": ("bytes", "family"),
    "fleetledger_stored_events": ("events", "family"),
    "fleetledger_dead_letters": ("dead_letters", "status"),
    "fleetledger_recorded_policy_denials_total": ("denials", None),
    "fleetledger_signed_tree_size_leaves": ("signed_leaves", None),
    "fleetledger_unsigned_leaves": ("unsigned_leaves", None),
}
"""Each sample's figure, and the label it is summed by (None: one total)."""


class Series:
    """The last ``keep`` samples of the ledger's operational figures."""

    def __init__(self, ledger: Ledger, *, interval: float, keep: int = DEFAULT_KEEP) -> None:
        self.interval = interval
        self._collector = LedgerCollector(ledger, figures=[dead_letter_figure(ledger)])
        self._samples: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()  # a request copies the samples while the sampler appends
        self.error: str | None = None

    def sample(self) -> None:
        """Read the figures now and keep them (an error is kept instead, for the page to show)."""
        try:
            figures = sample_of(self._collector.collect())
        except LedgerError as exc:
            self.error = str(exc)
            return
        except Exception as exc:  # the sampler must go on; the page shows what broke
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.error = None
        with self._lock:
            self._samples.append({"time": time.time(), **figures})

    def samples(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._samples)


def sample_of(metrics: Iterable[Metric]) -> dict[str, Any]:
    """The watched figures of one scrape, summed by their label (or to one total)."""
    sample: dict[str, Any] = {name: ({} if label else 0.0) for name, label in _SUMMED_BY.values()}
    for metric in metrics:
        for point in metric.samples:
            watched = _SUMMED_BY.get(point.name)
            if watched is None:
                continue
            name, label = watched
            if label is None:
                sample[name] += point.value
            else:
                by = sample[name]
                key = point.labels[label]
                by[key] = by.get(key, 0.0) + point.value
    return sample


async def sampling(series: Series) -> None:
    """Sample every ``series.interval`` seconds until cancelled (the server's lifespan)."""
    while True:
        await run_in_threadpool(series.sample)
        await asyncio.sleep(series.interval)


@router.get("/ops/series", response_model=dict[str, Any])
def ops_series(request: Request, ledger: Annotated[Ledger, Depends(acting)]) -> Any:
    """The operational figures sampled since the server started, oldest first (needs admin)."""
    ledger.authorize("admin")
    series: Series | None = request.app.state.series
    if series is None:
        return {"interval": None, "samples": [], "error": "this server samples no figures"}
    return {"interval": series.interval, "samples": series.samples(), "error": series.error}
