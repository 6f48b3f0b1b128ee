"""The fleet's three consumer groups, real read-side runners reading at their own pace.

``tasks`` is the runtime's task projection (:class:`fleetledger.consumers.TaskProjection`): it
follows the task, tool and governance families every few steps and writes where each task
stands to the compacted ``state`` family, exactly once (outputs and offsets in one
transaction). ``audit`` is a :class:`~fleetledger.consumers.Runner` that archives governance
and tool events slowly, a dozen at a time, so it falls behind while the fleet runs; its archiver
has a bug (it cannot file a failed refund: :class:`Archive`), so those events are retried, then
dead-lettered, and the group moves on. After the fleet, the bug is fixed, the dead letters are
retried and resolve. ``evaluation`` is a batch runner: every 50 finished requests (and at the
end) it reads the evaluation family to the end. Paces are counted in fleet steps, not seconds,
so the same seed leaves the same lag behind.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field

from fleetledger import Event, Ledger
from fleetledger.consumers import (
    DeadLetter,
    DeadLetters,
    DeadLetterStatus,
    Runner,
    TaskProjection,
    run_projection,
)

TASKS_EVERY = 4  # steps between two rounds of the task projection
AUDIT_FAMILIES = ("governance", "tool")
AUDIT_EVERY = 50  # steps between two audit rounds
AUDIT_ROUND = 12  # events per audit round: about half the rate the fleet writes them
AUDIT_ATTEMPTS = 3
EVALUATION_EVERY = 50  # finished requests

GROUPS = ("tasks", "audit", "evaluation")
ROLES = {
    "tasks": "The runtime's task projection: it reads task, tool and governance events every"
    " few steps and writes each task's state (exactly once), so it ends caught up.",
    "audit": "The archiver: it reads governance and tool events a dozen at a time, slower than"
    " the fleet writes them, so it falls behind; events it cannot file are dead-lettered.",
    "evaluation": "A batch job: it reads the evaluation family every 50 finished tasks and at"
    " the end, so it ends caught up.",
}
"""What each group does, and so why its lag is what it is, in one sentence each."""

POISON_TOOL = "payments.refund"


class ArchiveBug(Exception):
    """The archiver's known bug: it cannot file a failed call of a tool that moves money."""


@dataclass
class Archive:
    """The audit group's handler: files governance and tool events by tool and type.

    It was written for successful payments only: a failed ``payments.refund`` has no amount
    to file under, and it raises until :attr:`fixed` (the fix the demo ships after the run).
    """

    fixed: bool = False
    shelves: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __call__(self, event: Event) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        tool = data.get("tool")
        if event.type == "tool.call.failed" and tool == POISON_TOOL and not self.fixed:
            raise ArchiveBug(f"no amount to file the failed {tool} call {data.get('call_id')}")
        self.shelves[f"{tool or event.family}:{event.type}"] += 1


@dataclass
class Scores:
    """The evaluation group's handler: the mean of each metric over the tasks scored."""

    totals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, event: Event) -> None:
        if event.type == "evaluation.scored" and isinstance(event.data, dict):
            self.totals[str(event.data["metric"])].append(float(event.data["score"]))


@dataclass(frozen=True)
class Letters:
    """The dead letters the audit group left, before and after the fix."""

    recorded: tuple[DeadLetter, ...]
    after_fix: tuple[DeadLetter, ...]


def _no_wait(seconds: float) -> None:
    """Retries in simulated time: the demo does not sleep between attempts."""


class Readers:
    """Drives the three groups from the fleet's loop: after each step and each request."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.tasks = TaskProjection(ledger)
        self.archive = Archive()
        self.scores = Scores()
        self.audit = Runner(ledger, "audit", attempts=AUDIT_ATTEMPTS, sleep=_no_wait)
        self.audit.subscribe(self.archive, families=AUDIT_FAMILIES)
        self.evaluation = Runner(ledger, "evaluation")
        self.evaluation.subscribe(self.scores, families=["evaluation"])
        # Both runners stay in their groups between rounds, as long-lived consumers do.
        self._membership = ExitStack()
        self._membership.enter_context(self.audit)
        self._membership.enter_context(self.evaluation)
        self.consumed = dict.fromkeys(GROUPS, 0)
        self._steps = 0
        self._evaluated_at = -1

    def after_step(self) -> None:
        """The task projection reads what was just written; every so often the audit reads
        a little."""
        self._steps += 1
        if self._steps % TASKS_EVERY == 0:
            self._project()
        if self._steps % AUDIT_EVERY == 0:
            self.consumed["audit"] += self.audit.run(until_idle=True, max_events=AUDIT_ROUND).events

    def after_request(self, done: int) -> None:
        """Every :data:`EVALUATION_EVERY` finished requests the evaluation batch runs."""
        if done % EVALUATION_EVERY == 0:
            self._evaluate(done)

    def finish(self, done: int) -> Letters:
        """Shut down cleanly: the projection and the batch catch up; the archiver's bug is
        fixed and its dead letters are retried (the audit group itself stays behind)."""
        self._project()
        if self._evaluated_at != done:
            self._evaluate(done)
        letters = DeadLetters(self._ledger)
        recorded = tuple(letters.list(group="audit"))
        self.archive.fixed = True
        for letter in recorded:
            if letter.status is DeadLetterStatus.RECORDED:
                letters.retry(letter.id)
        # A round that only retries: the requested dead letters are re-handled first.
        self.audit.run(until_idle=True, max_events=1)
        return Letters(recorded, tuple(letters.list(group="audit")))

    def close(self) -> None:
        """Leave the audit and evaluation groups."""
        self._membership.close()

    def _project(self) -> None:
        self.consumed["tasks"] += run_projection(self._ledger, self.tasks).events

    def _evaluate(self, done: int) -> None:
        self.consumed["evaluation"] += self.evaluation.run(until_idle=True).events
        self._evaluated_at = done
