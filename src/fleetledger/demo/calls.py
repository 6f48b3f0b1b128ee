"""One tool call as a fleet makes it: intent, governance gate, execution, failure and retry.

The order of events is the point of the ledger, so it is the point here: the intent
(``tool.call.requested``) comes first; governance answers it (a guardrail check, a policy
denial, or a human approval) *before* ``tool.call.started``; a retryable failure is followed by
``task.retried`` and a new call with a new id (an approval covers one call, so a retried risky
call is approved again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fleetledger.demo.agents import Agent, pick, supervisor
from fleetledger.demo.fate import Fate
from fleetledger.demo.tools import Args, Failure, Tool
from fleetledger.demo.trail import Flow, Trail
from fleetledger.events.catalogue import (
    GovernanceApprovalGranted,
    GovernanceApprovalRejected,
    GovernanceApprovalRequested,
    GovernanceEscalated,
    GovernanceGuardrailChecked,
    GovernancePolicyDenied,
    TaskRetried,
    ToolCallCompleted,
    ToolCallFailed,
    ToolCallRequested,
    ToolCallStarted,
)

MAX_RETRIES = 2
BACKOFF_MS = 500.0
HUMAN_DECISION_MS = (20_000.0, 600_000.0)  # a person answers in 20 s to 10 min
REJECTIONS = (
    "amount does not match the ticket",
    "needs a manager's sign-off",
    "not during a freeze",
)


@dataclass(frozen=True)
class CallOutcome:
    """How a call ended: ``event_id`` is the event that ended it, ``by`` who refused it."""

    status: Literal["completed", "failed", "denied", "rejected"]
    call_id: str
    event_id: str
    error: str | None = None
    by: str | None = None


def call_tool(
    trail: Trail, agent: Agent, tool: Tool, args: Args, *, fate: Fate, reason: str
) -> Flow[CallOutcome]:
    """Call ``tool`` until it completes, is refused, or fails beyond its retries."""
    return _Caller(trail, agent, tool, fate).call(args, reason)


class _Caller:
    """One agent calling one tool for one task, through however many attempts it takes."""

    def __init__(self, trail: Trail, agent: Agent, tool: Tool, fate: Fate) -> None:
        self.trail = trail
        self.run = trail.run
        self.agent = agent
        self.tool = tool
        self.fate = fate

    def call(self, args: Args, reason: str) -> Flow[CallOutcome]:
        """Request, pass the gate, run; retry retryable failures with a new call."""
        attempt, remedied = 0, False
        while True:
            call_id = self._request(args, reason)
            policy = self.tool.policy
            if policy is not None or self.tool.needs_approval(args):
                yield self.run.flush()  # governance answers the intent before anything runs
                denial = yield from self._gate(args, call_id)
                if denial is not None:
                    if policy is None or policy.remedy is None or remedied:
                        return denial
                    args, remedied = policy.remedy(args), True  # comply and ask again
                    self.run.wait(500, 3000)
                    continue
            if self.tool.needs_approval(args):
                refusal = yield from self._approval(args, call_id)
                if refusal is not None:
                    return refusal
            outcome, failure = yield from self._execute(args, call_id, attempt)
            if failure is None or not failure.retryable or attempt >= MAX_RETRIES:
                yield self.run.flush()
                return outcome
            attempt += 1
            self._retry(failure, attempt)
            yield self.run.flush()

    def _request(self, args: Args, reason: str) -> str:
        self.run.wait(30, 250)
        call_id = f"call-{self.run.rng.getrandbits(48):012x}"
        self.trail.emit(
            self.agent,
            ToolCallRequested(call_id=call_id, tool=self.tool.name, arguments=args, reason=reason),
        )
        return call_id

    def _gate(self, args: Args, call_id: str) -> Flow[CallOutcome | None]:
        """The supervisor's guardrail: a pass, or a policy denial recorded with its reason."""
        trail, tool, guard = self.trail, self.tool, supervisor()
        policy = tool.policy
        self.run.wait(5, 60)
        reason = policy.denies(args) if policy is not None else None
        trail.emit(
            guard,
            GovernanceGuardrailChecked(
                guardrail=policy.id if policy is not None else "risky-action",
                passed=reason is None,
                details=reason,
                call_id=call_id,
            ),
        )
        if reason is None or policy is None:
            yield self.run.flush()
            return None
        denied = trail.emit(
            guard,
            GovernancePolicyDenied(
                policy=policy.id,
                action=f"call {tool.name}",
                reason=reason,
                rule=policy.rule,
                call_id=call_id,
            ),
        )
        if policy.remedy is None:  # the agent cannot comply: a human must look at it
            trail.emit(
                guard,
                GovernanceEscalated(
                    escalated_to=pick("approver", self.run.rng).id,
                    reason=reason,
                    severity="high",
                    call_id=call_id,
                ),
            )
        yield self.run.flush()
        return CallOutcome("denied", call_id, denied, f"denied by policy {policy.id}: {reason}")

    def _approval(self, args: Args, call_id: str) -> Flow[CallOutcome | None]:
        """Ask a human, wait for them, record their decision; a refusal ends the call."""
        trail, run = self.trail, self.run
        human = pick("approver", run.rng)
        approval_id = f"appr-{run.rng.getrandbits(48):012x}"
        trail.emit(
            self.agent,
            GovernanceApprovalRequested(
                approval_id=approval_id,
                call_id=call_id,
                approver=human.id,
                action=f"{self.tool.name} {_describe(args)}",
                reason=f"{self.tool.name} changes the world and needs a sign-off",
            ),
        )
        yield run.flush()
        run.wait(*HUMAN_DECISION_MS)
        if self.fate.approves():
            trail.emit(
                human,
                GovernanceApprovalGranted(
                    approval_id=approval_id, call_id=call_id, approver=human.id, reason="checked"
                ),
            )
            yield run.flush()
            return None
        reason = run.rng.choice(REJECTIONS)
        rejected = trail.emit(
            human,
            GovernanceApprovalRejected(
                approval_id=approval_id, call_id=call_id, approver=human.id, reason=reason
            ),
        )
        yield run.flush()
        return CallOutcome(
            "rejected", call_id, rejected, f"rejected by {human.id}: {reason}", human.id
        )

    def _execute(
        self, args: Args, call_id: str, attempt: int
    ) -> Flow[tuple[CallOutcome, Failure | None]]:
        """Run the call: started, then completed or failed after the tool's latency.

        An ungoverned call's intent is still pending and joins its start in one step; the
        ending event is left pending, so a retry decision joins it in the same step.
        """
        trail, run, tool = self.trail, self.run, self.tool
        run.wait(20, 200)
        trail.emit(self.agent, ToolCallStarted(call_id=call_id, tool=tool.name, arguments=args))
        yield run.flush()
        began = run.now_ms
        run.wait(*tool.latency_ms)
        duration = round(run.now_ms - began, 1)
        failure = self.fate.failure(tool, attempt)
        if failure is None:
            result = tool.result(args, run.rng)
            done = trail.emit(
                self.agent,
                ToolCallCompleted(
                    call_id=call_id, tool=tool.name, result=result, duration_ms=duration
                ),
            )
            return CallOutcome("completed", call_id, done), None
        failed = trail.emit(
            self.agent,
            ToolCallFailed(
                call_id=call_id,
                tool=tool.name,
                error=failure.message,
                error_type=failure.error_type,
                retryable=failure.retryable,
                duration_ms=duration,
            ),
        )
        error = f"{tool.name}: {failure.message}"
        return CallOutcome("failed", call_id, failed, error), failure

    def _retry(self, failure: Failure, attempt: int) -> None:
        """Decide to try again (exponential backoff); the attempt count goes up."""
        delay = BACKOFF_MS * 2 ** (attempt - 1)
        reason = f"{self.tool.name} {failure.error_type}"
        self.trail.emit(self.agent, TaskRetried(attempt=attempt, reason=reason, delay_ms=delay))
        self.run.wait(delay, delay)


def _describe(args: Args) -> str:
    """The arguments a human needs to see to decide, in one short line."""
    shown = ", ".join(f"{k}={v}" for k, v in args.items() if k != "idempotency_key")
    return f"({shown})"
