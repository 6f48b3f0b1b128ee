"""``fleetledger lag``: committed offset, end offset and lag per group, topic and partition."""

from __future__ import annotations

from typing import Annotated

import typer

from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.render import lag_table

LAG_JSON = "one JSON object per line: {group, topic, partition, committed, end, lag}"


def lag(
    group: Annotated[
        str | None, typer.Argument(help="Only this consumer group.", show_default="all")
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(LAG_JSON)] = False,
) -> None:
    """Show lag (end - committed) per group, topic and partition; exit 2 for an unknown group."""
    with open_ledger(ledger) as opened:
        rows = opened.lag(group)
    if as_json:
        for row in rows:
            write_json({**row._asdict(), "lag": row.lag})
    elif rows:
        output().print(lag_table(rows))
    else:
        output().print("no consumer groups have committed yet")
