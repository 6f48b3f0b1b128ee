"""Step 3, compare: the mirror's own check of both sides, and the signed heads.

Every partition is compared by its events' ids and bytes in order (the source only up to what
the mirror copied, so writers may go on appending), a sample of tasks is replayed on both sides,
and when the source signs ledger heads the copy must hold the same heads.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetledger.audit import StoredHead
from fleetledger.errors import ConfigurationError, IntegrityError
from fleetledger.ledger import Ledger
from fleetledger.mirror import check_both
from fleetledger.planning.migrate.steps import Step


def compare_step(
    src: Ledger, dst: Ledger, step: Step, *, until: Mapping[tuple[str, int], int]
) -> None:
    """Compare both sides (the source below ``until``); fail on the first kind of difference."""
    checks, order = check_both(src, dst, until=dict(until))
    differing = [check for check in checks if not check.ok]
    reordered = [check for check in order if not check.ok]
    step.figures.update(
        partitions=len(checks),
        events=sum(check.source.events for check in checks),
        differing=len(differing),
        tasks_replayed=len(order),
        reordered=len(reordered),
    )
    heads = signed_heads(src)
    step.figures["signed_heads"] = len(heads)
    if differing:
        first = differing[0]
        step.fail(
            f"{len(differing)} partition(s) differ, first {first.name}"
            f" ({first.match.value}: {first.detail})"
        )
    elif reordered:
        step.fail(f"{len(reordered)} task(s) replay differently: {reordered[0].detail}")
    elif heads and signed_heads(dst)[: len(heads)] != heads:
        step.fail("the destination does not hold the source's signed ledger heads")
    else:
        signed = f", and its {len(heads)} signed heads" if heads else ""
        step.detail = (
            f"both sides hold the same {step.figures['events']:,} events in"
            f" {len(checks)} partitions{signed}; {len(order)} sampled tasks replay alike"
        )


def signed_heads(ledger: Ledger) -> list[StoredHead]:
    """The ledger's signed heads (none on a ledger that keeps no Merkle trees)."""
    try:
        return ledger.heads()
    except (ConfigurationError, IntegrityError):  # memory:// keeps no trees, so no heads
        return []
