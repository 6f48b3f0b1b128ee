"""Timing helpers, temporary directories, the raw SQLite baseline connection, and results."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import fleetledger
from fleetledger.backends.sqlite import schema
from fleetledger.ledger import Ledger


@dataclass(frozen=True)
class Result:
    """One line of the report: the ledger's figure, the baseline's, and the target.

    ``ratio`` is ledger / baseline; ``passed`` is None when the line has no target (an
    information line, whose name says "(info)"). ``goal`` is the ratio the target asks for, when
    it asks for one (the chart draws it); a line in ``MB`` (memory) compares by difference.
    """

    name: str
    ledger: float
    baseline: float | None
    unit: str
    target: str
    passed: bool | None
    note: str = ""
    goal: float | None = None
    projected: float | None = None
    """Memory lines measured below 10^7 events: the growth (MB) at 10^7 if it is linear."""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.ledger / self.baseline

    @property
    def growth(self) -> float | None:
        """ledger - baseline, for lines that compare by difference (memory, in MB)."""
        if self.unit != "MB" or self.baseline is None:
            return None
        return self.ledger - self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "growth": self.growth}


def at_least(
    name: str, ledger: list[float], baseline: list[float], unit: str, factor: float
) -> Result:
    """A ratio target on the medians of per-round rates: ``ledger >= factor * baseline``."""
    mine, theirs = median(ledger), median(baseline)
    passed = mine >= factor * theirs
    return Result(
        name, mine, theirs, unit, f">= {factor:g}x", passed, spread(ledger, baseline), factor
    )


def retarget(result: Result, factor: float) -> Result:
    """The same measured line with another ratio target (``ledger >= factor * baseline``)."""
    ratio = result.ratio
    passed = None if ratio is None else ratio >= factor
    return replace(result, target=f">= {factor:g}x", passed=passed, goal=factor)


def spread(
    ledger: list[float], baseline: list[float], names: tuple[str, str] = ("ledger", "baseline")
) -> str:
    """How much the rounds varied, for the report's notes."""
    if len(ledger) < 2:
        return "1 round"

    def span(values: list[float]) -> str:
        return f"{min(values) / 1000:.1f}k-{max(values) / 1000:.1f}k"

    first, second = names
    return f"{len(ledger)} rounds: {first} {span(ledger)}, {second} {span(baseline)} events/s"


@contextmanager
def temp_dir() -> Iterator[Path]:
    """A fresh directory under the system temp dir, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="fleetledger-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call. The collector runs first but stays on: real callers have it on."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(index: int, *sides: tuple[list[float], Callable[[], float]]) -> None:
    """Append each side's measure to its list; odd rounds reverse the order (no order bias)."""
    for results, measure in sides if index % 2 == 0 else sides[::-1]:
        results.append(measure())


def median(values: list[float]) -> float:
    return statistics.median(values)


def open_ledger(path: Path, *, synchronous: str = "FULL") -> Ledger:
    """A SQLite ledger at ``path`` (created if needed), default namespace and policies."""
    return fleetledger.open(f"sqlite:///{path}?synchronous={synchronous}")


def raw_connection(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """The baseline: plain sqlite3, the ledger's schema and PRAGMAs, explicit transactions."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.executescript(schema.SCHEMA)
    return conn


def rate(count: int, elapsed: float) -> float:
    return count / elapsed if elapsed > 0 else float("inf")
