"""``fleetledger groups``: the consumer groups and how far behind each one is."""

from __future__ import annotations

from fleetledger.cli.common import AsJSON, LedgerURL, open_ledger, output, write_json
from fleetledger.cli.render import group_totals, groups_table


def groups(ledger: LedgerURL = None, as_json: AsJSON = False) -> None:
    """List consumer groups with the partitions they committed and their total lag."""
    with open_ledger(ledger) as opened:
        totals = group_totals(opened.lag())
    if as_json:
        for group, total in totals.items():
            write_json({"group": group, **total})
    elif totals:
        output().print(groups_table(totals))
    else:
        output().print("no consumer groups have committed yet")
