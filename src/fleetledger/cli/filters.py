"""The options that narrow what ``replay`` and ``tail`` show: type globs, agent and tenant
(the times are in :mod:`.times`)."""

from __future__ import annotations

from typing import Annotated

import typer

Types = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        help="Only events of this type; globs work: tool.*, *.failed (repeat for several).",
        metavar="GLOB",
        show_default="all",
    ),
]
Agent = Annotated[
    str | None,
    typer.Option("--agent", help="Only events of this agent id.", show_default=False),
]
Tenant = Annotated[
    str | None,
    typer.Option("--tenant", help="Only events of this tenant.", show_default=False),
]
