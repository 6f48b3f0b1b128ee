"""Ordering rules at append, on memory: the guard refuses, flags and stamps hash links."""

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import AlreadyStored, ContractError, Ledger, PolicyViolation, Principal
from fleetledger.governance import parse_ordering
from fleetledger.integrity import leaf_hash
from fleetledger.ledger.ordering import DenialLimiter, OrderingRules
from fleetledger.testing import memory_ledger, prepared

PAYMENTS = {
    "name": "payments need an approval",
    "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
    "requires": {"type": "governance.approval.granted"},
    "join": ["subject", "data.call_id"],
    "unless_after": {"type": "governance.approval.rejected"},
}
RULES = parse_ordering([PAYMENTS])
FLAGGING = parse_ordering([{**PAYMENTS, "action": "flag"}])


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    """A memory ledger with the payments rule."""
    with memory_ledger(default_source="tests", ordering=RULES) as ledger:
        yield ledger


def call(call_id: str = "c1", tool: str = "payments.refund", **attributes: Any) -> dict[str, Any]:
    """A tool.call.started event of task t-1."""
    data = {"call_id": call_id, "tool": tool, "arguments": {"amount": 991}}
    return {"type": "tool.call.started", "subject": "t-1", "data": data, **attributes}


def grant(call_id: str = "c1", **attributes: Any) -> dict[str, Any]:
    """A governance.approval.granted event of task t-1 for ``call_id``."""
    data = {"approval_id": f"a-{call_id}", "call_id": call_id}
    return {"type": "governance.approval.granted", "subject": "t-1", "data": data, **attributes}


def reject(call_id: str = "c1") -> dict[str, Any]:
    """A governance.approval.rejected event of task t-1 for ``call_id``."""
    data = {"approval_id": f"a-{call_id}", "call_id": call_id}
    return {"type": "governance.approval.rejected", "subject": "t-1", "data": data}


def types(ledger: Ledger) -> list[str]:
    return [event.type for event in ledger.replay("t-1")]


def test_a_tool_call_without_its_approval_is_refused_naming_the_rule(ledger: Ledger) -> None:
    """The rule's whole point: no grant for c1, no payments call; the error says which rule."""
    with pytest.raises(PolicyViolation, match="payments need an approval") as refused:
        ledger.append_many([call()])
    assert refused.value.rule == "payments need an approval"
    assert refused.value.event_type == "tool.call.started"
    assert "tool.call.started" not in types(ledger)


def test_a_refusal_is_recorded_with_a_digest_and_never_the_content(ledger: Ledger) -> None:
    """The denied event names the rule and the refused event's digest, not its arguments."""
    with pytest.raises(PolicyViolation) as refused:
        ledger.append(**call())
    [denied] = list(ledger.replay("t-1"))
    assert denied.type == "governance.policy.denied"
    assert denied.data["rule"] == "payments need an approval"
    assert denied.data["event_id"] == refused.value.event_id
    assert denied.data["digest"] == refused.value.digest
    assert len(denied.data["digest"]) == 64
    named = {k: v for k, v in denied.data.items() if k not in ("digest", "event_id", "reason")}
    assert "991" not in str(named)  # the call's argument stays out of the log


def test_a_tool_call_after_its_approval_is_stamped_with_the_approvals_leaf(
    ledger: Ledger,
) -> None:
    """The accepted call's bytes name the grant and its leaf hash (SHA-256 of 0x00 || body)."""
    granted = ledger.append(**grant())
    ledger.append(**call())
    approval, started = ledger.replay("t-1")
    stored = ledger.log.find(approval.id)
    assert stored is not None
    assert stored.position == granted
    assert started.orderedafter == approval.id
    assert started.orderedafterleaf == base64.b64encode(leaf_hash(stored.body)).decode()


def test_the_stamp_is_part_of_the_stored_canonical_bytes(ledger: Ledger) -> None:
    """The link is hashed with the event: its stored body holds both attributes."""
    ledger.append(**grant())
    position = ledger.append(**call())
    [record] = ledger.log.read(position.topic, position.partition, position.offset, 1)
    assert b'"orderedafter":' in record.body
    assert b'"orderedafterleaf":' in record.body


def test_a_rejection_after_the_approval_refuses_the_call(ledger: Ledger) -> None:
    """unless_after: the newest joined decision is a rejection, so the grant no longer counts."""
    ledger.append_many([grant(), reject()])
    with pytest.raises(PolicyViolation, match="cancelled by event"):
        ledger.append(**call())


def test_an_approval_of_another_call_does_not_count(ledger: Ledger) -> None:
    """The join on data.call_id: a grant for c2 does not let c1 through."""
    ledger.append(**grant("c2"))
    with pytest.raises(PolicyViolation):
        ledger.append(**call("c1"))


def test_events_earlier_in_the_same_batch_count_as_history(ledger: Ledger) -> None:
    """append_many([grant, call]): the call is checked against the grant before it."""
    ledger.append_many([grant(), call()])
    approval, started = ledger.replay("t-1")
    assert started.orderedafter == approval.id


def test_a_later_event_of_the_batch_does_not_satisfy_an_earlier_one(ledger: Ledger) -> None:
    """append_many([call, grant]) is refused whole: the grant comes after, and nothing stays."""
    with pytest.raises(PolicyViolation) as refused:
        ledger.append_many([call(), grant()])
    assert refused.value.index == 0
    assert types(ledger) == ["governance.policy.denied"]


def test_events_no_rule_applies_to_take_no_guard() -> None:
    """A batch of task events costs nothing: no guard is made, the append is the plain one."""
    rules = OrderingRules(RULES, max_event_bytes=1 << 20)
    task = {"type": "task.requested", "subject": "t-1", "data": {"goal": "g"}}
    assert rules.guard(prepared([task])) is None
    assert rules.guard(prepared([call()])) is not None


def test_a_call_to_another_tool_passes_unstamped(ledger: Ledger) -> None:
    """The rule applies to payments.* only; search.web needs no approval, and gets no link."""
    ledger.append(**call(tool="search.web"))
    [started] = ledger.replay("t-1")
    assert started.orderedafter is None


def test_repeating_an_accepted_call_stores_nothing_new(ledger: Ledger) -> None:
    """The same id again is checked against the history it had, so it is stamped the same and
    recognised as already stored (a grant appended since does not make it a conflict)."""
    ledger.append(**grant())
    first = ledger.append(**call(id="call-1"))
    ledger.append(**grant(id="grant-again"))
    again = ledger.append(**call(id="call-1"))
    assert isinstance(again, AlreadyStored)
    assert again == first


def test_writers_cannot_set_the_link_themselves(ledger: Ledger) -> None:
    """orderedafter is the ledger's stamp, like authid: a writer's value is refused."""
    with pytest.raises(ContractError, match="stamped by the ledger"):
        ledger.append(**call(orderedafter="made-up"))
    with pytest.raises(ContractError, match="stamped by the ledger"):
        ledger.append(**call(orderedafterleaf="AAAA"))


def test_a_flag_rule_accepts_the_event_and_records_the_flag() -> None:
    """action = "flag": the call is stored, followed by a governance.policy.flagged event."""
    with memory_ledger(default_source="tests", ordering=FLAGGING) as ledger:
        position = ledger.append(**call())
        started, flag = ledger.replay("t-1")
    assert (started.type, flag.type) == ("tool.call.started", "governance.policy.flagged")
    assert started.position == position
    assert flag.data["event_id"] == started.id
    assert flag.data["rule"] == "payments need an approval"


def test_refusals_are_recorded_at_most_n_a_minute_per_principal() -> None:
    """A misbehaving agent's refusals past the limit are counted, not each recorded."""
    limiter = DenialLimiter(per_minute=3, clock=lambda: 0.0)
    refusal = PolicyViolation("no", rule="r", event_id="e", event_type="t.x", subject="s")
    admitted = [limiter.admit("agent-a", refusal) for _ in range(5)]
    assert admitted == [0, 0, 0, None, None]
    assert limiter.admit("agent-b", refusal) == 0  # per principal


def test_the_first_refusal_recorded_after_the_window_counts_those_left_out() -> None:
    """A new minute records again, and says how many the last one left out."""
    now = [0.0]
    limiter = DenialLimiter(per_minute=1, clock=lambda: now[0])
    refusal = PolicyViolation("no", rule="r", event_id="e", event_type="t.x", subject="s")
    limiter.admit("agent-a", refusal)
    limiter.admit("agent-a", refusal)
    limiter.admit("agent-a", refusal)
    now[0] = 61.0
    assert limiter.admit("agent-a", refusal) == 2


def test_a_flood_of_refusals_leaves_a_bounded_number_of_events_and_a_summary(
    tmp_path: Path,
) -> None:
    """25 refused calls leave 10 denied events, and at close one summary counting the 15
    others."""
    url = f"sqlite:///{tmp_path}/flood.db"
    with fleetledger.open(url, default_source="tests", ordering=RULES, signer=False) as ledger:
        for n in range(25):
            with pytest.raises(PolicyViolation):
                ledger.append(**call(f"c{n}"))
        assert types(ledger).count("governance.policy.denied") == 10
    with fleetledger.open(url, readonly=True, signer=False) as ledger:
        denied = list(ledger.replay("t-1"))
    assert len(denied) == 11
    assert denied[-1].data["suppressed"] == 15
    assert "not recorded one by one" in denied[-1].data["reason"]


def test_a_refused_delegate_is_recorded_against_the_principal_it_acts_for() -> None:
    """The denial is stamped with whoever attempted the call, not the opener."""
    agent = Principal(id="agent-7", kind="agent")
    with memory_ledger(default_source="tests", ordering=RULES, delegate=True) as ledger:
        with pytest.raises(PolicyViolation):
            ledger.acting_for(agent).append(**call())
        [denied] = ledger.replay("t-1")
    assert denied.authid == "agent-7"


def test_an_event_too_large_once_stamped_is_refused() -> None:
    """The link adds bytes; the size limit still holds for what is stored."""
    with memory_ledger(default_source="tests", ordering=RULES, max_event_bytes=1024) as ledger:
        ledger.append(**grant())
        body = len(prepared([call()], ledger)[0].body)
        padding = "x" * (1024 - body - 20)
        big = call()
        big["data"]["arguments"] = {"amount": 991, "note": padding}
        assert len(prepared([big], ledger)[0].body) <= 1024  # fits before the stamp
        with pytest.raises(ContractError, match="1024"):
            ledger.append(**big)
