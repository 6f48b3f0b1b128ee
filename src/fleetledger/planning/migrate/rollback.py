"""Step 6, rollback: the path back from the destination to the source, walked for real.

Whatever the destination holds that the source lacks (after a dry run, nothing; after a real
cutover, what producers wrote there) is mirrored back into the source, the consumer groups are
translated back, and both sides are compared again. This is the only step that may write events
to the source, and only events the destination holds that the source lacks.
"""

from __future__ import annotations

from fleetledger.ledger import Ledger
from fleetledger.mirror import Match, compare, mirror
from fleetledger.planning.migrate.groups import check_groups
from fleetledger.planning.migrate.steps import Step

FINE = (Match.SAME, Match.AHEAD)
"""After a rollback, each source partition holds what the destination holds, or more (events
the source took meanwhile)."""


def rollback(src: Ledger, dst: Ledger, step: Step) -> None:
    """Copy the destination's own events back, move the groups back, compare again."""
    back = mirror(dst, src, groups=True, check=False)
    moved = [row for row in back.groups if row.moved]
    step.figures.update(
        copied_back=back.copied,
        bytes_back=back.bytes,
        groups_back=", ".join(sorted({row.group for row in moved})),
        positions_moved_back=len(moved),
    )
    checks = compare(dst, src, until=back.positions)
    differing = [check for check in checks if check.match not in FINE]
    step.figures["differing"] = len(differing)
    mismatched = check_groups(dst.log, src.log, step, until=back.positions)
    if differing:
        first = differing[0]
        step.fail(
            f"after copying back, {len(differing)} partition(s) differ, first {first.name}"
            f" ({first.match.value}: {first.detail})"
        )
    elif mismatched:
        step.fail(f"{len(mismatched)} group position(s) resume elsewhere: {mismatched[0]}")
    else:
        step.detail = (
            f"copied {back.copied} events back; the source holds everything the destination"
            " holds, and every group resumes at the same event"
        )
