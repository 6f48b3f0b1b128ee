"""Moving a ledger between backends, and checking that nothing changed on the way.

::

    import fleetledger
    from fleetledger.mirror import mirror

    with (
        fleetledger.open("sqlite:///fleet.db") as src,
        fleetledger.open("kafka://broker:9092") as dst,
    ):
        report = mirror(src, dst)
        assert report.ok, [check.name for check in report.differences]

The mirror copies every topic of the source's namespace through the Backend Protocols only, so
it works between any two backends: partitions, per-partition order, event ids and stored bytes
are kept (offsets may differ), consumer groups are translated through event ids, and a run that
was interrupted resumes without duplicates. :func:`compare` checks two ledgers on its own.
"""

from fleetledger.mirror.backup import Copied, backup, restore
from fleetledger.mirror.check import (
    Match,
    OrderCheck,
    PartitionCheck,
    Progress,
    Side,
    TaskSample,
    check_order,
    compare,
)
from fleetledger.mirror.groups import GroupOffset
from fleetledger.mirror.run import MirrorReport, check_both, mirror

__all__ = [
    "Copied",
    "GroupOffset",
    "Match",
    "MirrorReport",
    "OrderCheck",
    "PartitionCheck",
    "Progress",
    "Side",
    "TaskSample",
    "backup",
    "check_both",
    "check_order",
    "compare",
    "mirror",
    "restore",
]
