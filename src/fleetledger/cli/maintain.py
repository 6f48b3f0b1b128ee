"""``fleetledger maintain``: apply each family's retention and compaction now.

Removed records keep their leaves, so proofs stay valid (``verify`` reports them as expired).
"""

from __future__ import annotations

from typing import Annotated

from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    ledger_url,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.evidence import plural
from fleetledger.cli.exits import committed, holding_interrupts
from fleetledger.ledger import parse_url

MAINTAIN_JSON = "one JSON object: {removed}"


def maintain(
    ledger: LedgerURL = None, as_json: Annotated[bool, json_option(MAINTAIN_JSON)] = False
) -> None:
    """Apply retention and compaction now; print how many records were removed."""
    with open_ledger(ledger, write=True) as opened, holding_interrupts():
        removed = opened.maintain()
        committed(f"retention and compaction were applied: {plural(removed, 'record')} removed")
    if as_json:
        write_json({"removed": removed})
    else:
        output().print(
            f"removed {plural(removed, 'record')} past their family's retention or compacted"
            " away (their leaves stay, so proofs still verify)"
        )
        if parse_url(ledger_url(ledger)).scheme == "kafka":
            output().print("on Kafka the brokers apply retention and compaction themselves")
