"""The read side's figures for the metrics endpoint: dead letters waiting, per group.

The dead-lettered counter (:data:`fleetledger.observe.metrics.DEAD_LETTERED`) counts what this
process gave up on; an SRE also needs what is still waiting, whoever wrote it, and that is in
the dead-letter topic: this figure folds it at scrape time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from fleetledger.consumers.deadletter import DeadLetters, DeadLetterStatus
from fleetledger.ledger import Ledger
from fleetledger.observe.collector import Figure


def dead_letter_figure(ledger: Ledger) -> Figure:
    """``fleetledger_dead_letters{group,status}``: the dead letters the principal may see,
    by consumer group and status (recorded, retry-requested, resolved, dropped)."""
    letters = DeadLetters(ledger)

    def collect() -> Iterable[Metric]:
        counts = Counter((letter.group, letter.status) for letter in letters.list())
        gauge = GaugeMetricFamily(
            "fleetledger_dead_letters",
            "Dead letters in the dead-letter topic, by consumer group and status.",
            labels=["group", "status"],
        )
        groups = sorted({group for group, _ in counts})
        for group in groups:
            for status in DeadLetterStatus:
                gauge.add_metric([group, status.value], counts[(group, status)])
        yield gauge

    return collect
