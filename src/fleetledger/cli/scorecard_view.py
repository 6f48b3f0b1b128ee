"""The scorecard on a terminal (rich): scores with their figures, the verdict, the checklists.

Everything that can come from the ledger (family and group names in the evidence) goes
through :func:`~fleetledger.cli.render.cell`, so it is shown escaped and never read as markup.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fleetledger.cli.render import cell
from fleetledger.planning.scorecard import Scorecard
from fleetledger.planning.scorecard.card import Section
from fleetledger.planning.scorecard.markdown import origin
from fleetledger.planning.scorecard.score import Score

STATUS = {
    "yes": ("✔ yes", "green"),
    "partly": ("◐ partly", "yellow"),
    "no": ("✘ no", "red"),
    "unknown": ("? unknown", "dim"),
}


def _value(score: Score) -> Text:
    if score.value is None:
        return Text("not scored", style="dim")
    return Text.assemble(
        ("●" * score.value, "bold cyan"), ("○" * (5 - score.value), "dim"), f" {score.value}"
    )


def _scores(card: Scorecard) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    for name, ratio in (("Dimension", 2), ("Score", 1), ("From", 1), ("Figure", 5)):
        table.add_column(name, ratio=ratio, no_wrap=name == "Score")
    for s in card.scores:
        figure = cell(s.figure)
        if s.rule:
            figure.append(f"\n{s.rule}", style="dim")
        table.add_row(Text(s.dimension.name, style="bold"), _value(s), origin(s), figure)
    return table


def _verdict(card: Scorecard) -> Panel:
    rec = card.recommendation
    lines = [Text(rec.headline, style="bold")]
    lines += [Text.assemble("• ", seed, (f" — {ours}", "dim")) for seed, ours in rec.means]
    if rec.first_class:
        lines.append(Text(card.storage_model))
    lines.append(Text(f"Based on {rec.basis}.", style="dim"))
    return Panel(
        Group(*lines),
        title="Recommendation (seed 000)",
        title_align="left",
        border_style="blue" if rec.first_class else "white",
    )


def _section(section: Section) -> Table:
    table = Table(
        title=section.title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
        pad_edge=False,
    )
    for name, ratio in (("Question", 4), ("In fleetledger", 3), ("Here", 1), ("Evidence", 4)):
        table.add_column(name, ratio=ratio, no_wrap=name == "Here")
    for item, check in section.rows:
        question = Text.assemble((item.seed.area, "bold"), "\n", (item.seed.question, "dim"))
        feature = Text.assemble(item.feature, "\n", (" · ".join(item.commands), "cyan"))
        mark, style = STATUS[check.status]
        table.add_row(question, feature, Text(mark, style=style), cell(check.detail))
    return table


def terminal(card: Scorecard) -> RenderableType:
    """The whole scorecard as one rich renderable."""
    where = f"ledger {card.ledger}" if card.ledger else "no ledger measured"
    if card.measured_at:
        where += f", measured {card.measured_at:%Y-%m-%d %H:%M:%S %Z}"
    head = Text.assemble(("Readiness scorecard", "bold underline"), "  ", cell(where))
    parts: list[RenderableType] = [head, _scores(card), _verdict(card)]
    return Group(*parts, *(_section(s) for s in card.sections))
