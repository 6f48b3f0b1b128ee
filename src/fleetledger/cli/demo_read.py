"""The demo's read side: the metrics it serves while it runs, the task states the runtime
projection wrote, and the audit group's dead letters before and after their fix."""

from __future__ import annotations

import urllib.request
from collections import Counter
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from prometheus_client.parser import text_string_to_metric_families
from rich import box
from rich.table import Table
from rich.text import Text

from fleetledger import Ledger
from fleetledger.cli.common import output
from fleetledger.cli.render import cell, printable
from fleetledger.consumers.figures import dead_letter_figure
from fleetledger.consumers.tasks import latest_summaries
from fleetledger.observe.exposition import serve

if TYPE_CHECKING:
    from fleetledger.consumers import DeadLetter
    from fleetledger.demo.readers import Letters

SCRAPED = ("fleetledger_appended_events_total", "fleetledger_handled_events_total")
"""The counters the demo reads back from its own endpoint, to show it was live."""
WAITING = "fleetledger_dead_letters_waiting"
"""The dead letters recorded or asked to be retried, summed over groups."""


class Metrics:
    """``/metrics`` of the demo's ledger, served on a free loopback port while it runs."""

    def __init__(self, ledger: Ledger) -> None:
        self._server, self._thread = serve(ledger, port=0, figures=[dead_letter_figure(ledger)])
        self.url = f"http://127.0.0.1:{self._server.server_port}/metrics"

    def scrape(self) -> dict[str, float]:
        """What a Prometheus scraping the demo now would see: the sum of each of
        :data:`SCRAPED`, and the dead letters waiting."""
        with urllib.request.urlopen(self.url, timeout=10) as response:
            text = response.read().decode()
        sums: dict[str, float] = dict.fromkeys((*SCRAPED, WAITING), 0.0)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in SCRAPED:
                    sums[sample.name] += sample.value
                elif sample.name == "fleetledger_dead_letters" and sample.labels.get("status") in (
                    "recorded",
                    "retry-requested",
                ):
                    sums[WAITING] += sample.value
        return sums

    def __enter__(self) -> Metrics:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@dataclass(frozen=True)
class ReadSide:
    """What the demo's readers left: task states, dead letters, and the metrics it served."""

    states: dict[str, int]
    letters: Letters
    metrics_url: str
    scraped: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        """The read side as plain JSON values."""
        return {
            "task_states": self.states,
            "dead_letters": [
                {
                    "id": letter.id,
                    "event_type": letter.event_type,
                    "error": letter.error.message,
                    "attempts": letter.attempts,
                    "status": after.status.value,
                }
                for letter, after in self.pairs()
            ],
            "metrics": {"url": self.metrics_url, "scraped": self.scraped},
        }

    def pairs(self) -> list[tuple[DeadLetter, DeadLetter]]:
        """Each dead letter as recorded, beside what became of it after the fix."""
        after = {letter.id: letter for letter in self.letters.after_fix}
        return [(letter, after.get(letter.id, letter)) for letter in self.letters.recorded]


def task_states(ledger: Ledger) -> dict[str, int]:
    """How many tasks stand in each status, from the state family the projection wrote."""
    counts = Counter(
        str(event.data.get("status")) if isinstance(event.data, dict) else "?"
        for event in latest_summaries(ledger).events
    )
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def show_read_side(read: ReadSide) -> None:
    """Task states, the dead letters and their fix, and where the metrics were served."""
    console = output()
    states = ", ".join(f"{count} {status}" for status, count in read.states.items())
    console.print(Text(f"\ntask states (the tasks projection's state family): {states}"))
    pairs = read.pairs()
    if not pairs:
        console.print(Text("dead letters: none (the audit group filed every event it read)"))
    else:
        table = Table(
            title="dead letters of the audit group (its archiver's bug, then the fix)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
        )
        for name in ("dead letter", "event", "error", "attempts", "after the fix"):
            table.add_column(name, overflow="fold")
        for letter, after in pairs:
            table.add_row(
                cell(letter.id),
                cell(letter.event_type),
                cell(letter.error.message),
                str(letter.attempts),
                cell(after.status.value),
            )
        console.print(table)
    scraped = read.scraped
    console.print(
        Text(
            f"metrics served while it ran: {printable(read.metrics_url)} (scraped at the end:"
            f" {scraped.get('fleetledger_appended_events_total', 0):.0f} events appended,"
            f" {scraped.get('fleetledger_handled_events_total', 0):.0f} handled by runners,"
            f" {scraped.get(WAITING, 0):.0f} dead letters waiting)"
        )
    )
