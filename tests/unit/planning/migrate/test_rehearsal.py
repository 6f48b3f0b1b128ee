"""rehearse: each step of the migration checklist, run on two ledgers, passes or says why not."""

from fleetledger import Ledger, Policy, Principal
from fleetledger.governance import parse_rules
from fleetledger.planning.migrate import Outcome, Step, rehearse
from fleetledger.testing import FakeClock, memory_ledger

from .conftest import Fill

STEPS = ["preflight", "mirror", "compare", "groups", "cutover", "rollback"]


def snapshot(ledger: Ledger) -> dict[tuple[str, int], list[tuple[str, bytes]]]:
    """Every record of a ledger by partition: its id and bytes."""
    return {
        (info.topic, p): [(r.id, r.body) for r in ledger.log.read(info.topic, p, 0, 10_000)]
        for info in ledger.topics()
        for p in range(len(info.partitions))
    }


def step(rehearsal_steps: list[Step], name: str) -> Step:
    return next(s for s in rehearsal_steps if s.name == name)


def test_every_step_passes_between_two_ledgers(filled: Ledger, dst: Ledger) -> None:
    """A rehearsal into an empty ledger runs the six steps in order and passes each."""
    rehearsal = rehearse(filled, dst)

    assert [s.name for s in rehearsal.steps] == STEPS
    assert [s.outcome for s in rehearsal.steps] == [Outcome.PASSED] * 6
    assert rehearsal.ok
    assert rehearsal.failed is None


def test_every_step_is_timed(filled: Ledger, dst: Ledger) -> None:
    """Each step that ran has its wall-clock time, and the whole is at least their sum."""
    rehearsal = rehearse(filled, dst)

    assert all(s.seconds > 0 for s in rehearsal.steps)
    assert rehearsal.seconds >= sum(s.seconds for s in rehearsal.steps)


def test_the_mirror_step_counts_events_and_bytes(filled: Ledger, dst: Ledger) -> None:
    """The mirror step reports the events and bytes it copied."""
    mirrored = step(rehearse(filled, dst).steps, "mirror")

    stored = sum(len(body) for rows in snapshot(filled).values() for _, body in rows)
    assert mirrored.figures["events"] == 20
    assert mirrored.figures["bytes"] == stored


def test_a_rehearsal_leaves_the_source_as_it_was(filled: Ledger, dst: Ledger) -> None:
    """After a dry run the source holds exactly what it held before."""
    before = snapshot(filled)

    rehearse(filled, dst)

    assert snapshot(filled) == before


def test_the_cutover_recognises_every_resent_event_and_writes_nothing(
    filled: Ledger, dst: Ledger
) -> None:
    """The source's last events, sent again to the copy, are each found stored: no offset moves."""
    cut = step(rehearse(filled, dst, sample=8).steps, "cutover")

    assert cut.ok, cut.detail
    assert cut.figures["resent"] == 8
    assert cut.figures["recognised"] == 8
    assert cut.figures["end_offsets_moved"] == 0
    assert cut.figures["producers"] == "agents/planner"


def test_events_appended_to_the_source_after_the_mirror_are_the_catch_up(
    filled: Ledger, dst: Ledger, fill: Fill
) -> None:
    """What the source takes after the mirror is copied at the cutover and counted as the freeze."""

    def write_meanwhile(done: Step) -> None:
        if done.name == "mirror":
            fill(filled, tasks=3, prefix="late")

    rehearsal = rehearse(filled, dst, on_step=write_meanwhile)

    assert rehearsal.ok, rehearsal.failed
    assert step(rehearsal.steps, "cutover").figures["catch_up_events"] == 6
    assert snapshot(dst) == snapshot(filled)


def test_events_written_to_the_destination_after_the_cutover_are_copied_back(
    filled: Ledger, dst: Ledger, fill: Fill
) -> None:
    """The rollback copies the destination's own events back and says so."""

    def write_after_cutover(done: Step) -> None:
        if done.name == "cutover":
            fill(dst, tasks=2, prefix="after")

    rehearsal = rehearse(filled, dst, on_step=write_after_cutover)

    assert rehearsal.ok, rehearsal.failed
    assert rehearsal.rollback.events == 4
    assert step(rehearsal.steps, "rollback").figures["copied_back"] == 4
    assert snapshot(filled) == snapshot(dst)


def test_a_group_read_further_on_the_destination_is_moved_back(filled: Ledger, dst: Ledger) -> None:
    """A group that consumed on the destination after the cutover is committed back there."""

    def consume_after_cutover(done: Step) -> None:
        if done.name == "cutover":
            with dst.consumer("audit", ["task"]) as consumer:
                consumer.poll(max=3)
                consumer.commit()

    rehearsal = rehearse(filled, dst, on_step=consume_after_cutover)

    assert rehearsal.ok, rehearsal.failed
    assert rehearsal.rollback.groups == ["audit"]
    assert filled.lag("audit") == dst.lag("audit")


def test_every_group_resumes_at_the_same_event_on_the_copy(filled: Ledger, dst: Ledger) -> None:
    """The groups step moves each position and reports the lag it checked on both sides."""
    groups = step(rehearse(filled, dst).steps, "groups")

    assert groups.ok, groups.detail
    assert groups.figures["groups"] == 1
    assert groups.figures["lag_events"] == sum(row.lag for row in filled.lag("audit"))


def test_a_destination_holding_other_events_is_refused_and_left_alone(
    filled: Ledger, dst: Ledger, fill: Fill
) -> None:
    """Preflight fails on a foreign destination; nothing is copied into it, later steps skip."""
    fill(dst, tasks=2, prefix="other")
    before = snapshot(dst)

    rehearsal = rehearse(filled, dst)

    assert rehearsal.failed is not None
    assert rehearsal.failed.name == "preflight"
    assert "not a copy of the source" in rehearsal.failed.detail
    assert [s.outcome for s in rehearsal.steps[1:]] == [Outcome.SKIPPED] * 5
    assert snapshot(dst) == before


def test_force_rehearses_into_a_foreign_destination_and_the_compare_fails(
    filled: Ledger, dst: Ledger, fill: Fill
) -> None:
    """With ``force`` the copy goes ahead, and the comparison then names what differs."""
    fill(dst, tasks=2, prefix="other")

    rehearsal = rehearse(filled, dst, force=True)

    assert rehearsal.failed is not None
    assert rehearsal.failed.name == "compare"
    assert "differ" in rehearsal.failed.detail


def test_an_earlier_copy_is_resumed_without_copying_again(filled: Ledger, dst: Ledger) -> None:
    """A second rehearsal into the same destination resumes it: nothing is copied twice."""
    rehearse(filled, dst)

    again = rehearse(filled, dst)

    assert again.ok, again.failed
    assert step(again.steps, "preflight").figures["destination"] == "copy"
    assert step(again.steps, "mirror").figures["events"] == 0


def test_a_destination_in_another_namespace_fails_the_preflight(
    filled: Ledger, clock: FakeClock
) -> None:
    """The namespaces must match: the preflight says which to open."""
    with memory_ledger(clock=clock, namespace="other") as elsewhere:
        rehearsal = rehearse(filled, elsewhere)

    assert rehearsal.failed is not None
    assert rehearsal.failed.name == "preflight"
    assert "?namespace=fleet" in rehearsal.failed.detail


def test_a_producer_the_destination_refuses_fails_the_cutover_before_any_resend(
    filled: Ledger, dst: Ledger
) -> None:
    """The producer principal must be allowed to append every family under DST's policy."""
    rules = [{"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]}]
    planner = Principal("planner", kind="agent")

    rehearsal = rehearse(filled, dst, producer=planner, access=Policy(parse_rules(rules)))
    cut = step(rehearsal.steps, "cutover")

    assert rehearsal.failed is cut
    assert "planner may not append" in cut.detail
    assert "resent" not in cut.figures
