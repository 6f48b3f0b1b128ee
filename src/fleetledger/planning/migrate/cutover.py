"""Step 5, producer cutover as a dry run: prove producers could switch, writing no new event.

Three things a real cutover needs, measured without one:

- **the write freeze**: events the source took since the mirror are copied incrementally, and
  how many and how long that took is what producers would have to be paused for;
- **authorization**: the producer principal may append every family on the destination;
- **idempotent retries**: the source's last events, appended again to the destination as their
  producers wrote them (same ids, same content), are each recognised as already stored (an
  :class:`~fleetledger.AlreadyStored` at the position the copy holds), and the destination's end
  offsets do not move. A producer retrying across the switch therefore stores nothing twice.

Only events the destination already holds are appended again, so a retry that was not
recognised could only be refused (:class:`~fleetledger.IdConflict`), never stored.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import msgspec

from fleetledger.errors import ContractError, IdConflict
from fleetledger.events.foreign import is_foreign
from fleetledger.events.new import NewEvent
from fleetledger.governance import Action, Policy, Principal, Resource, decide
from fleetledger.ledger import Ledger, LedgerLog
from fleetledger.mirror import mirror
from fleetledger.planning.migrate.steps import Step

SAMPLE = 32
"""The source's last events appended again to the destination."""

_SEALED = b'"$enc"'
"""In a body: a confidential field sealed under a data subject's key. Its producer sends the
plaintext, which the rehearsal may not be able to read; sealed again under the same subject's
key it gives the same bytes (a synthetic IV), under another key store it would not. Not
re-sent here."""

_WRITER_FIELDS = frozenset(NewEvent.__struct_fields__)
_decode = msgspec.json.Decoder(dict[str, Any]).decode


class Retry(NamedTuple):
    """One stored event as its producer would send it again."""

    id: str
    topic: str
    partition: int
    offset: int
    recorded_ms: int
    event: NewEvent


def cutover(
    src: Ledger,
    dst: Ledger,
    step: Step,
    *,
    sample: int,
    producer: Principal | None,
    access: Policy | None = None,
) -> None:
    """Catch up, check the producer's rights, and re-send the last ``sample`` events."""
    started = time.perf_counter()
    caught = mirror(src, dst, groups=True, check=False)
    step.figures.update(
        catch_up_events=caught.copied, catch_up_seconds=round(time.perf_counter() - started, 3)
    )
    who = producer if producer is not None else dst.principal
    denied = refused_families(src, dst.access if access is None else access, who)
    step.figures["producer"] = who.id
    if denied:
        step.fail(f"{who.id} may not append {', '.join(denied)} on the destination")
        return
    dst.authorize("append", src.families())  # the opener appends the retries: never a denial
    retries = last_events(src.log, sample)
    step.figures["producers"] = ", ".join(sorted({str(r.event.source) for r in retries}))
    before = ends(dst.log)
    problems = resend(dst, retries, step)
    moved = sum(ends(dst.log).get(tp, 0) - end for tp, end in before.items())
    step.figures["end_offsets_moved"] = moved
    if moved:
        problems.insert(0, f"the destination's end offsets moved by {moved}")
    if problems:
        step.fail("; ".join(problems))
    else:
        step.detail = (
            f"{len(retries)} re-sent events recognised as stored, nothing written;"
            f" freeze writes for {caught.copied} events of catch-up"
        )


def refused_families(src: Ledger, policy: Policy, who: Principal) -> list[str]:
    """The source's families ``who`` may not append under the destination's ``policy``."""
    return [
        family
        for family, rules in src.families().items()
        if not decide(policy, who, Action.APPEND, Resource(family, rules.classification)).allowed
    ]


def ends(log: LedgerLog) -> dict[tuple[str, int], int]:
    """Every partition's end offset."""
    return {
        (topic, partition): span.end
        for topic in log.topics()
        for partition, span in enumerate(log.offsets(topic))
    }


def last_events(log: LedgerLog, count: int) -> list[Retry]:
    """The ``count`` most recently recorded events of the ledger that a producer could send
    again (not foreign records, not sealed ones), newest first."""
    found: list[Retry] = []
    for topic in log.topics():
        for partition, span in enumerate(log.offsets(topic)):
            low = max(span.start, span.end - count)
            for record in log.read(topic, partition, low, span.end - low):
                event = as_sent(record.body)
                if event is not None:
                    found.append(
                        Retry(record.id, topic, partition, record.offset, record.recorded_ms, event)
                    )
    found.sort(key=lambda r: (r.recorded_ms, r.id), reverse=True)
    return found[:count]


def as_sent(body: bytes) -> NewEvent | None:
    """The event as its producer gave it (the writer's attributes of the stored body), or
    ``None`` for a record a producer cannot send again as it is."""
    if is_foreign(body) or _SEALED in body:
        return None
    stored = _decode(body)
    if stored.get("time") == stored.get("recordedtime"):
        stored.pop("time", None)  # left to default: the ledger stamps it again
    return NewEvent.of({k: v for k, v in stored.items() if k in _WRITER_FIELDS})


def resend(dst: Ledger, retries: list[Retry], step: Step) -> list[str]:
    """Append each event again to ``dst``; return what went wrong, in words."""
    recognised, problems = 0, []
    for retry in retries:
        held = dst.log.find(retry.id)
        if held is None:  # never send what would be stored: this is a dry run
            problems.append(f"{retry.id} is not on the destination")
            continue
        try:
            appended = dst.append_many([retry.event])
        except IdConflict:
            problems.append(f"{retry.id} was refused as another event with the same id")
            continue
        except ContractError as exc:
            problems.append(f"{retry.id} was refused: {exc}")
            continue
        where = (held.topic, held.partition, held.offset)
        if appended.existing == 1 and tuple(appended[0]) == where:
            recognised += 1
        else:
            problems.append(f"{retry.id} was stored again at {appended[0]}")
    step.figures.update(resent=len(retries), recognised=recognised)
    return problems
