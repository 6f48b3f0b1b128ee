"""The rehearsal: the seeds' migration checklist, run step by step on two real ledgers.

Steps run in order, each timed; the first that fails ends the rehearsal (the rest are
skipped), since each step relies on the ones before it. The source is never rewritten and
nothing is deleted anywhere; events are written to the source only by the rollback step, and
only those the destination holds that the source lacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetledger.governance import Policy, Principal
from fleetledger.ledger import Ledger, redact
from fleetledger.mirror import mirror
from fleetledger.planning.migrate.compare import compare_step
from fleetledger.planning.migrate.cutover import SAMPLE, cutover
from fleetledger.planning.migrate.groups import move_groups
from fleetledger.planning.migrate.preflight import preflight
from fleetledger.planning.migrate.rollback import rollback
from fleetledger.planning.migrate.steps import Outcome, Step, run

TITLES = {
    "preflight": "Preflight",
    "mirror": "Mirror",
    "compare": "Compare",
    "groups": "Consumer groups",
    "cutover": "Producer cutover (dry run)",
    "rollback": "Rollback",
}
"""Every step, in order, by name."""

OnStep = Callable[[Step], None]
"""Called after each step that ran (for progress; tests use it to write between steps)."""


@dataclass
class RollbackNeeds:
    """What rolling the migration back requires, as the rehearsal found it."""

    events: int = 0
    """Events the destination held that the source lacked, copied back."""
    groups: list[str] = field(default_factory=list)
    """Consumer groups whose positions were moved back."""
    producers: list[str] = field(default_factory=list)
    """The producers (event sources) that wrote the source's latest events: repoint them."""
    seconds: float = 0.0
    """How long the rollback took in the rehearsal."""


@dataclass
class Rehearsal:
    """A rehearsed migration: each step with its time, outcome and figures."""

    source: str
    destination: str
    steps: list[Step]
    rollback: RollbackNeeds = field(default_factory=RollbackNeeds)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every step passed."""
        return all(step.ok for step in self.steps)

    @property
    def failed(self) -> Step | None:
        """The step that failed, if one did."""
        return next((s for s in self.steps if s.outcome is Outcome.FAILED), None)


def rehearse(
    src: Ledger,
    dst: Ledger,
    *,
    force: bool = False,
    sample: int = SAMPLE,
    producer: Principal | None = None,
    access: Policy | None = None,
    on_step: OnStep | None = None,
) -> Rehearsal:
    """Rehearse migrating ``src`` to ``dst`` and back (see the module docstring).

    ``force`` rehearses into a destination that holds other events; ``sample`` is how many of
    the source's last events the cutover sends again; ``producer`` is the principal whose
    right to append on the destination is checked (default: the destination's opener), under
    ``access`` (default: the policy the destination was opened with).
    """
    started = time.perf_counter()
    steps = [Step(name, title) for name, title in TITLES.items()]
    rehearsal = Rehearsal(redact(src.url), redact(dst.url), steps)
    copied: dict[tuple[str, int], int] = {}

    def copy(step: Step) -> None:
        report = mirror(src, dst, groups=False, check=False)
        copied.update(report.positions)
        rate = report.copied / report.elapsed if report.elapsed > 0 else 0.0
        step.figures.update(events=report.copied, bytes=report.bytes, events_per_second=round(rate))
        step.figures["topics_created"] = len(report.created)
        step.detail = f"copied {report.copied:,} events ({report.bytes:,} bytes)"

    bodies: dict[str, Callable[[Step], None]] = {
        "preflight": lambda step: preflight(src, dst, step, force=force),
        "mirror": copy,
        "compare": lambda step: compare_step(src, dst, step, until=copied),
        "groups": lambda step: move_groups(src, dst, step, until=copied),
        "cutover": lambda step: cutover(
            src, dst, step, sample=sample, producer=producer, access=access
        ),
        "rollback": lambda step: rollback(src, dst, step),
    }
    for step in steps:
        run(step, bodies[step.name])
        if on_step is not None:
            on_step(step)
        if not step.ok:
            break
    rehearsal.rollback = needs(steps)
    rehearsal.seconds = time.perf_counter() - started
    return rehearsal


def needs(steps: list[Step]) -> RollbackNeeds:
    """What a rollback requires, from the figures of the cutover and rollback steps."""
    found = {step.name: step for step in steps}
    back, cut = found["rollback"], found["cutover"]
    producers = str(cut.figures.get("producers", ""))
    return RollbackNeeds(
        events=int(back.figures.get("copied_back", 0)),
        groups=[g for g in str(back.figures.get("groups_back", "")).split(", ") if g],
        producers=[p for p in producers.split(", ") if p],
        seconds=back.seconds,
    )
