"""The fleet's three consumer groups, each reading the ledger at its own pace while it runs.

``runtime`` is the orchestrator: it follows the task, tool and governance families (lifecycle,
results, approvals) every other step and commits every few steps, so it is never far behind.
``audit`` archives governance and tool events slowly, a few at a time, and commits rarely, so
it falls behind while the fleet runs. ``evaluation`` is a batch job: every 50 finished
requests (and at the end) it reads the evaluation family to the end and commits. Paces are
counted in fleet steps, not seconds, so the same seed leaves the same lag behind.
"""

from __future__ import annotations

from fleetledger import Consumer, Ledger

RUNTIME_FAMILIES = ("task", "tool", "governance")
RUNTIME_POLL_EVERY = 2  # steps
RUNTIME_COMMIT_EVERY = 16  # steps
AUDIT_FAMILIES = ("governance", "tool")
AUDIT_POLL_EVERY = 50  # steps
AUDIT_POLL_MAX = 12  # events per poll: about half the rate the fleet writes them
AUDIT_COMMIT_EVERY = 4  # polls
EVALUATION_EVERY = 50  # finished requests

GROUPS = ("runtime", "audit", "evaluation")
ROLES = {
    "runtime": "The orchestrator: it reads task, tool and governance events as they land and"
    " commits every few steps, so it ends caught up.",
    "audit": "The archiver: it reads governance and tool events a dozen at a time, slower than"
    " the fleet writes them, so it falls behind.",
    "evaluation": "A batch job: it reads the evaluation family every 50 finished tasks and at"
    " the end, so it ends caught up.",
}
"""What each group does, and so why its lag is what it is, in one sentence each."""


class Readers:
    """Drives the three groups from the fleet's loop: after each step and each request."""

    def __init__(self, ledger: Ledger) -> None:
        self.runtime = ledger.consumer("runtime", RUNTIME_FAMILIES)
        self.audit = ledger.consumer("audit", AUDIT_FAMILIES)
        self.evaluation = ledger.consumer("evaluation", ["evaluation"])
        self.consumed = dict.fromkeys(GROUPS, 0)
        self._steps = 0
        self._audit_polls = 0
        self._evaluated_at = -1

    def after_step(self) -> None:
        """The runtime reads what was just written; every so often the audit reads a little."""
        self._steps += 1
        if self._steps % RUNTIME_POLL_EVERY == 0:
            self._read(self.runtime, 500)
        if self._steps % RUNTIME_COMMIT_EVERY == 0:
            self.runtime.commit()
        if self._steps % AUDIT_POLL_EVERY == 0:
            self._read(self.audit, AUDIT_POLL_MAX)
            self._audit_polls += 1
            if self._audit_polls % AUDIT_COMMIT_EVERY == 0:
                self.audit.commit()

    def after_request(self, done: int) -> None:
        """Every :data:`EVALUATION_EVERY` finished requests the evaluation batch runs."""
        if done % EVALUATION_EVERY == 0:
            self._evaluate(done)

    def finish(self, done: int) -> None:
        """Shut down cleanly: each group commits what it has read; runtime and batch catch up."""
        self._drain(self.runtime)
        self.runtime.commit()
        self.audit.commit()
        if self._evaluated_at != done:
            self._evaluate(done)
        for consumer in (self.runtime, self.audit, self.evaluation):
            consumer.close()

    def _evaluate(self, done: int) -> None:
        self._drain(self.evaluation)
        self.evaluation.commit()
        self._evaluated_at = done

    def _drain(self, consumer: Consumer) -> None:
        while self._read(consumer, 1000):
            pass

    def _read(self, consumer: Consumer, limit: int) -> int:
        count = len(consumer.poll(limit))
        self.consumed[consumer.group] += count
        return count
