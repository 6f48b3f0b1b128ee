"""The life of one requested task: intake, planning, three subtasks, outcome, feedback.

A customer's request enters through the supervisor, a planner decomposes it into research,
act and validate subtasks (published atomically with the plan), the subtasks run in order,
and the request ends completed, failed (possibly after a compensation) or cancelled. Some
customers rate the result later through the support portal.
"""

from __future__ import annotations

from fleetledger.demo.agents import Agent, portal, supervisor
from fleetledger.demo.fate import Fate
from fleetledger.demo.lifecycle import Outcome, cancel, take_up
from fleetledger.demo.subtasks import Job, act, compensate, render_prompt, research, validate
from fleetledger.demo.trail import Flow, Run, TaskState, Trail
from fleetledger.events.catalogue import (
    ContextRetrieved,
    EvaluationFeedback,
    TaskCompleted,
    TaskDecomposed,
    TaskFailed,
    TaskRequested,
)

SUBTASKS = ("research", "act", "validate")
"""The plan of every request, in order; subtask ``n`` (from 1) has id ``{task}.{n}``."""

FEEDBACK_RATE = 0.4
DEADLINE_MS = 4 * 3600 * 1000.0


def subtask_id(task: str, step: str) -> str:
    """The id of the subtask of ``task`` that does ``step`` (one of :data:`SUBTASKS`)."""
    return f"{task}.{SUBTASKS.index(step) + 1}"


def request(task: str, run: Run, fate: Fate) -> Flow[Outcome]:
    """Simulate one request from intake to feedback; return how it ended."""
    scenario = fate.scenario()
    brief = fate.brief(scenario)
    root = Trail(run, task, TaskState(goal=brief.goal, priority=fate.priority()))
    customer = f"user-{run.rng.getrandbits(24):06x}"
    _intake(root, customer, brief.inputs)
    yield run.flush()
    planner = yield from _start(root, scenario.kind)
    children = yield from _decompose(root, planner, scenario.action)
    outcome = yield from _carry_out(Job(scenario, brief, fate, root), planner, children)
    closed = _close(root, planner, outcome)
    yield run.flush()
    yield from _feedback(root, customer, closed, outcome)
    return outcome


def _intake(root: Trail, customer: str, inputs: dict[str, object]) -> None:
    """The supervisor takes the request in; urgent work gets a deadline."""
    state, intake = root.state, supervisor()
    urgent = state.priority in ("high", "urgent")
    root.emit(
        intake,
        TaskRequested(
            goal=state.goal,
            priority=state.priority,
            requested_by=customer,
            deadline=root.run.time(ahead_ms=DEADLINE_MS) if urgent else None,
            inputs=dict(inputs),
        ),
    )


def _start(root: Trail, kind: str) -> Flow[Agent]:
    """The supervisor assigns a planner, which starts by reading the playbook."""
    run = root.run
    planner = yield from take_up(root, supervisor(), "planner")
    run.wait(100, 600)
    root.emit(
        planner,
        ContextRetrieved(
            query=f"playbook for {kind} requests",
            retriever="playbooks",
            sources=[f"kb://playbooks/{kind}.md", "kb://policies/governance.md"],
        ),
    )
    render_prompt(root, planner, "planner.decompose", "7", {"kind": kind, "goal": root.state.goal})
    yield run.flush()
    return planner


def _decompose(root: Trail, planner: Agent, action: str) -> Flow[list[Trail]]:
    """Publish the plan and its subtasks in one atomic step: all of them exist, or none."""
    run, state = root.run, root.state
    run.wait(1500, 6000)  # the model plans
    goals = (
        f"Gather the facts for: {state.goal}",
        f"Call {action} for: {state.goal}",
        f"Verify the effect of: {state.goal}",
    )
    children = [
        Trail(run, subtask_id(root.task, step), TaskState(goal, state.priority, root.task))
        for step, goal in zip(SUBTASKS, goals, strict=True)
    ]
    decomposed = root.emit(
        planner,
        TaskDecomposed(subtasks=[c.task for c in children], plan=" -> ".join(SUBTASKS)),
    )
    for child in children:
        child.emit(
            planner,
            TaskRequested(
                goal=child.state.goal,
                priority=state.priority,
                requested_by=planner.id,
                parent_task=root.task,
            ),
            cause=decomposed,
        )
    yield run.flush()
    return children


def _carry_out(job: Job, planner: Agent, children: list[Trail]) -> Flow[Outcome]:
    """Run the subtasks in order; stop (cancelling the rest) at the first that does not complete."""
    researching, acting, checking = children
    agent = yield from take_up(researching, planner, "researcher")
    found = yield from research(researching, agent, job)
    if found.status != "completed":
        yield from _cancel_rest([acting, checking], planner, found)
        return found
    agent = yield from take_up(acting, planner, "executor")
    acted = yield from act(acting, agent, job)
    if acted.status != "completed":
        yield from _cancel_rest([checking], planner, acted)
        return acted
    agent = yield from take_up(checking, planner, "validator")
    verdict = yield from validate(checking, agent, job, acted)
    if verdict.undo:
        return (yield from compensate(acting, job, acted, verdict))
    return verdict


def _cancel_rest(trails: list[Trail], planner: Agent, cause: Outcome) -> Flow[None]:
    run = trails[0].run
    run.wait(100, 500)
    for trail in trails:
        cancel(trail, planner, "an earlier subtask did not complete", planner.id, cause.event_id)
    yield run.flush()


def _close(root: Trail, planner: Agent, outcome: Outcome) -> str:
    """Record how the request ended, caused by the subtask that decided it."""
    root.run.wait(100, 800)
    root.follow(outcome.event_id)
    if outcome.status == "completed":
        return root.emit(planner, TaskCompleted(summary="all subtasks completed"))
    if outcome.status == "cancelled":
        return cancel(
            root, planner, outcome.error or "cancelled", outcome.by or planner.id
        ).event_id
    error = outcome.error or "a subtask failed"
    return root.emit(planner, TaskFailed(error=error, retryable=False))


def _feedback(root: Trail, customer: str, closed: str, outcome: Outcome) -> Flow[None]:
    """Some customers rate the outcome, minutes later."""
    run = root.run
    if run.rng.random() >= FEEDBACK_RATE:
        return
    run.wait(60_000, 1_800_000)
    happy = outcome.status == "completed"
    rating = run.rng.choice((3, 4, 4, 5, 5) if happy else (1, 1, 2, 2, 3))
    comment = "quick and correct" if rating >= 4 else "not what I asked for"
    root.emit(
        portal(), EvaluationFeedback(rating=rating, comment=comment, by=customer, target=closed)
    )
    yield run.flush()
