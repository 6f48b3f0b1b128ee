"""Step 1, preflight: can the source be copied into the destination at all, and safely?

Nothing is written here. The step fails when the mirror would be refused or would mix two
ledgers: another namespace, a destination opened read-only, a topic with another partition
count, or a destination holding events that are not a copy of the source (unless forced).
Policies and registered event types that differ are noted, not failed: the mirror keeps the
destination's policies, and types registered in the source travel with its events.
"""

from __future__ import annotations

from fleetledger.errors import ReadOnlyLedger
from fleetledger.ledger import Ledger
from fleetledger.mirror.copy import last_record
from fleetledger.planning.migrate.steps import Step

EMPTY, COPY, FOREIGN = "empty", "copy", "foreign"
"""What the destination holds before the rehearsal: nothing, an earlier copy of the source (the
mirror resumes it), or events of its own."""


def events(ledger: Ledger) -> int:
    """The ledger's retained events, summed over its topics (offset spans: on Kafka,
    transaction markers count too)."""
    return sum(info.events for info in ledger.topics())


def preflight(src: Ledger, dst: Ledger, step: Step, *, force: bool) -> None:
    """Fill ``step`` with what the source and destination are, and fail it if the rehearsal
    must not go on."""
    held = events(dst)
    step.figures.update(
        source_events=events(src),
        source_topics=len(src.log.topics()),
        source_groups=len(src.groups()),
        destination_events=held,
    )
    if src.namespace != dst.namespace:
        step.fail(
            f"the destination's namespace is {dst.namespace!r}, the source's {src.namespace!r}:"
            f" open the destination with ?namespace={src.namespace}"
        )
        return
    try:
        dst.log.writable()
    except ReadOnlyLedger as exc:
        step.fail(f"the destination cannot be written: {exc}")
        return
    _check_policies(src, dst, step)
    step.figures["types_differing"] = _note_types(src, dst, step)
    state = destination_state(src, dst)
    step.figures["destination"] = state
    if state == FOREIGN and not force:
        step.fail(
            f"the destination holds {held:,} events that are not a copy of the source: refusing"
            " to write into it (--force rehearses anyway; the comparison will then fail)"
        )
    if step.ok:
        step.detail = {
            EMPTY: "the destination is empty",
            COPY: "the destination is an earlier copy: the mirror resumes it",
            FOREIGN: "the destination holds other events (forced)",
        }[state]


def _check_policies(src: Ledger, dst: Ledger, step: Step) -> None:
    """Fail on a topic with another partition count there; note any other policy difference."""
    theirs = dst.log.topics()
    for topic, policy in sorted(src.log.topics().items()):
        other = theirs.get(topic)
        if other is None or other == policy:
            continue
        if other.partitions != policy.partitions:
            step.fail(
                f"{topic} has {other.partitions} partitions on the destination and"
                f" {policy.partitions} on the source: keys would move to other partitions"
            )
        else:
            step.notes.append(
                f"{topic}: the destination keeps its own policy (retention, cleanup or"
                " classification differ)"
            )


def _note_types(src: Ledger, dst: Ledger, step: Step) -> int:
    """Note the registered event types whose versions differ between the two sides; return
    how many."""
    mine, theirs = src.types(), dst.types()
    before = len(step.notes)
    for name in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(name), theirs.get(name)
        if a is None:
            step.notes.append(f"type {name} is registered on the destination only")
        elif b is None:
            step.notes.append(
                f"type {name} v{a.version} is registered on the source only: it travels with"
                " the mirror; reopen the destination before producers append it"
            )
        elif a.version != b.version:
            step.notes.append(
                f"type {name} is v{a.version} on the source and v{b.version} on the destination"
            )
    return len(step.notes) - before


def destination_state(src: Ledger, dst: Ledger) -> str:
    """:data:`EMPTY`, :data:`COPY` (every partition's last event is the source's, in the same
    partition) or :data:`FOREIGN`."""
    ours = src.log.topics()
    found = EMPTY
    for info in dst.topics():
        for partition, span in enumerate(info.partitions):
            if span.end <= span.start:
                continue
            last = last_record(dst.log, info.topic, partition)
            if last is None:
                continue
            source = src.log.find(last.id) if info.topic in ours else None
            if source is None or (source.topic, source.partition) != (info.topic, partition):
                return FOREIGN
            found = COPY
    return found
