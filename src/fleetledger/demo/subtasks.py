"""What each role does with a subtask: research, act, validate, and compensate.

These are the agents' behaviours. A researcher retrieves context and looks facts up; an
executor (sometimes after a handoff) makes the one call that changes the world, through the
governance gate; a validator checks the effect and scores it; when the score fails, the
supervisor has an executor undo the effect and records the compensation on the acting subtask.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetledger.demo.agents import Agent, other, pick, supervisor
from fleetledger.demo.calls import call_tool
from fleetledger.demo.fate import Fate
from fleetledger.demo.lifecycle import Outcome, complete, fail, settle, stop
from fleetledger.demo.scenarios import Brief, Scenario
from fleetledger.demo.tools import TOOLS
from fleetledger.demo.trail import Flow, Trail
from fleetledger.events.catalogue import (
    ContextMemoryUpdated,
    ContextPromptRendered,
    ContextRetrieved,
    EvaluationScored,
    TaskCheckpointed,
    TaskCompensated,
    TaskHandedOff,
)

PASSING_SCORE = 0.7
HANDOFF_REASONS = (
    "rebalanced by the supervisor: queue too long",
    "agent instance draining for a deploy",
    "context window nearly full; continuing from checkpoint",
)


@dataclass(frozen=True)
class Job:
    """What every subtask of one request needs: the request, its dice, and the parent task."""

    scenario: Scenario
    brief: Brief
    fate: Fate
    root: Trail


def research(trail: Trail, agent: Agent, job: Job) -> Flow[Outcome]:
    """Retrieve context, look the facts up, synthesize, and remember the findings."""
    run = trail.run
    run.wait(100, 700)
    trail.emit(
        agent,
        ContextRetrieved(
            query=job.brief.goal,
            retriever="vector-index",
            sources=[f"kb://{run.tenant}/{job.scenario.kind}", "kb://shared/runbooks"],
            document_ids=[f"doc-{run.rng.getrandbits(32):08x}" for _ in range(3)],
        ),
    )
    yield run.flush()
    for name in job.scenario.lookups:
        call = yield from call_tool(
            trail,
            agent,
            TOOLS[name],
            dict(job.brief.inputs),
            fate=job.fate,
            reason="gather the facts",
        )
        if call.status != "completed":
            return (yield from settle(trail, stop(trail, agent, call)))
    render_prompt(
        trail, agent, "researcher.synthesize", "3", {"lookups": len(job.scenario.lookups)}
    )
    yield run.flush()
    run.wait(2000, 8000)  # the model writes the findings
    trail.emit(
        agent,
        ContextMemoryUpdated(
            key=f"{job.scenario.kind}/{trail.task}",
            value={"goal": job.brief.goal, "facts": len(job.scenario.lookups)},
            namespace=run.tenant,
            reason="findings reused by later tasks of this tenant",
        ),
    )
    return (yield from settle(trail, complete(trail, agent, "findings ready")))


def act(trail: Trail, agent: Agent, job: Job) -> Flow[Outcome]:
    """Make the request's one world-changing call, handing the subtask over first sometimes."""
    if job.fate.hands_off():
        agent = yield from _hand_off(trail, agent)
    tool = TOOLS[job.scenario.action]
    render_prompt(trail, agent, "executor.tool_use", "5", {"tool": tool.name})
    yield trail.run.flush()
    trail.run.wait(800, 3000)  # the model chooses the call and its arguments
    call = yield from call_tool(
        trail, agent, tool, dict(job.brief.arguments), fate=job.fate, reason=job.brief.goal
    )
    if call.status != "completed":
        return (yield from settle(trail, stop(trail, agent, call)))
    return (yield from settle(trail, complete(trail, agent, f"{tool.name} done", call=call)))


def validate(trail: Trail, agent: Agent, job: Job, acted: Outcome) -> Flow[Outcome]:
    """Check the action's effect, score it on the parent task, pass or fail it."""
    assert acted.call is not None  # act() completes only after its call completed
    check = TOOLS[job.scenario.check]
    call = yield from call_tool(
        trail,
        agent,
        check,
        {"call_id": acted.call.call_id},
        fate=job.fate,
        reason="verify the effect",
    )
    if call.status != "completed":
        return (yield from settle(trail, stop(trail, agent, call)))
    render_prompt(trail, agent, "validator.rubric", "2", {"check": check.name})
    yield trail.run.flush()
    trail.run.wait(1000, 4000)
    passed = job.fate.passes_validation()
    score = _score(job.fate, passed)
    _score_parent(job, agent, trail, score, acted.call.event_id)
    if passed:
        outcome = complete(trail, agent, "effect verified", result={"score": score})
    else:
        error = f"validation failed: correctness {score:.2f} < {PASSING_SCORE:.2f}"
        outcome = fail(trail, agent, error, undo=True)
    return (yield from settle(trail, outcome))


def compensate(trail: Trail, job: Job, acted: Outcome, verdict: Outcome) -> Flow[Outcome]:
    """Undo the acting subtask's effect, caused by the failed verdict; the request fails."""
    assert acted.call is not None
    undo = TOOLS[job.scenario.action].undo
    if undo is None:  # nothing can take the effect back (an email sent stays sent)
        return verdict
    executor = pick("executor", trail.run.rng)
    trail.follow(verdict.event_id)
    trail.run.wait(500, 3000)  # the supervisor notices and decides
    args = {"call_id": acted.call.call_id}
    yield from call_tool(
        trail, executor, TOOLS[undo], args, fate=job.fate, reason=f"compensate: {verdict.error}"
    )
    trail.run.wait(50, 300)
    boss = supervisor()
    done = trail.emit(
        boss,
        TaskCompensated(
            action=f"{undo} undid {acted.call.call_id}",
            call_id=acted.call.call_id,
            reason=verdict.error,
        ),
    )
    yield trail.run.flush()
    return Outcome("failed", done, f"{verdict.error}; effect undone by {undo}")


def render_prompt(
    trail: Trail, agent: Agent, template: str, version: str, variables: dict[str, object]
) -> None:
    """Record the exact prompt an agent's model is about to see."""
    run = trail.run
    run.wait(50, 200)
    trail.emit(
        agent,
        ContextPromptRendered(
            template_id=template,
            template_version=version,
            variables=variables,
            model="llm-large" if agent.role != "executor" else "llm-small",
            prompt_sha256=f"{run.rng.getrandbits(256):064x}",
        ),
    )


def _hand_off(trail: Trail, agent: Agent) -> Flow[Agent]:
    """Checkpoint, then pass the subtask to a peer that resumes from the checkpoint."""
    run = trail.run
    run.wait(500, 4000)
    checkpoint = trail.emit(
        agent, TaskCheckpointed(step="inputs checked", progress=0.3, state={"next": "act"})
    )
    successor = other(agent, run.rng)
    trail.emit(
        agent,
        TaskHandedOff(
            from_agent=agent.id,
            to_agent=successor.id,
            reason=run.rng.choice(HANDOFF_REASONS),
            checkpoint=checkpoint,
        ),
    )
    yield run.flush()
    run.wait(300, 2000)
    return successor


def _score(fate: Fate, passed: bool) -> float:
    low, high = (0.75, 0.99) if passed else (0.2, 0.6)
    return round(fate.rng.uniform(low, high), 3)


def _score_parent(job: Job, agent: Agent, trail: Trail, score: float, target: str) -> None:
    """Scores are about the request's outcome, so they go to the parent task."""
    grounded = round(min(1.0, score + job.fate.rng.uniform(-0.1, 0.1)), 3)
    for metric, value in (("correctness", score), ("groundedness", grounded)):
        job.root.emit(
            agent,
            EvaluationScored(
                metric=metric,
                score=value,
                evaluator=agent.id,
                rationale=f"{job.scenario.check} and rubric validator.rubric@2",
                target=target,
            ),
            cause=trail.last_id,
        )
