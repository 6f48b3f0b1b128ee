"""A rehearsed migration between two ledgers (``fleetledger plan migrate``), and the way back.

The seeds' readiness sequence asks to "exercise rollback: validate producer cutover, consumer
offset recovery, topic-level rollback, and the path back to the previous system" before a
coordination ledger moves. :func:`rehearse` does that on two real ledgers, timing each step::

    import fleetledger
    from fleetledger.planning.migrate import rehearse

    with (
        fleetledger.open("sqlite:///fleet.db") as src,
        fleetledger.open("kafka://broker:9092") as dst,
    ):
        rehearsal = rehearse(src, dst)
        print(rehearsal.ok, [(s.name, s.outcome, s.seconds) for s in rehearsal.steps])

1. **preflight**: namespaces, writability, policies and registered types, what the destination
   holds (empty, an earlier copy to resume, or other events: refused unless forced);
2. **mirror**: every topic copied (:func:`fleetledger.mirror.mirror`), events, bytes, events/s;
3. **compare**: every partition by ids and bytes, a sample of tasks replayed, signed heads;
4. **groups**: every consumer group translated, then checked to resume at the same event with
   the same lag on both sides;
5. **cutover** (dry run): the catch-up a write freeze would cover, the producer's right to
   append, and the source's last events sent again and recognised as stored: nothing written;
6. **rollback**: the destination's own events copied back, groups moved back, compared again.

It builds on :mod:`fleetledger.mirror` and the public API only.
"""

from fleetledger.planning.migrate.rehearsal import Rehearsal, RollbackNeeds, rehearse
from fleetledger.planning.migrate.steps import Outcome, Step

__all__ = ["Outcome", "Rehearsal", "RollbackNeeds", "Step", "rehearse"]
