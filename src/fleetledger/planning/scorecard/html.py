"""The scorecard as one self-contained HTML page: the radar, the scores, the verdict, the
checklists. No script and no external file, so it can be mailed or attached as it is."""

from __future__ import annotations

from html import escape

from fleetledger.planning.scorecard.card import Scorecard, Section
from fleetledger.planning.scorecard.dimensions import HIGHEST
from fleetledger.planning.scorecard.markdown import origin
from fleetledger.planning.scorecard.radar import radar_svg

STYLE = """
body{font:13px/1.4 system-ui,sans-serif;color:#1f2937;margin:24px auto;max-width:1100px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:15px;margin:18px 0 6px}
.sub{color:#6b7280;margin-bottom:10px}
.top{display:flex;gap:16px;align-items:flex-start}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{font-size:11px;text-transform:uppercase;color:#6b7280;font-weight:600}
.score{font-size:18px;font-weight:700;white-space:nowrap}.none{color:#9aa0a6;font-size:12px}
.fig{color:#4b5563;font-size:12px}.rule{color:#9ca3af;font-size:11px}
.verdict{border-left:4px solid #2563eb;background:#eff6ff;padding:8px 12px;margin:12px 0}
.verdict.side{border-color:#9ca3af;background:#f3f4f6}.verdict ul{margin:4px 0 4px 18px;padding:0}
.st{font-weight:600;white-space:nowrap}.yes{color:#15803d}.partly{color:#b45309}
.no{color:#b91c1c}.unknown{color:#6b7280}code{font-size:11px;background:#f3f4f6;padding:0 3px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 20px}
"""

MARKS = {"yes": "✔ yes", "partly": "◐ partly", "no": "✘ no", "unknown": "? unknown"}


def _scores(card: Scorecard) -> str:
    rows = []
    for s in card.scores:
        value = (
            '<span class="none">not scored</span>'
            if s.value is None
            else f'<span class="score">{s.value}</span>/{HIGHEST}'
        )
        rule = f'<div class="rule">{escape(s.rule)}</div>' if s.rule else ""
        means = f"1 {escape(s.dimension.one)} · 5 {escape(s.dimension.five)}"
        rows.append(
            f"<tr><td><b>{escape(s.dimension.name)}</b><div class='rule'>{means}</div></td>"
            f"<td>{value}</td>"
            f"<td>{escape(origin(s))}</td>"
            f'<td class="fig">{escape(s.figure)}{rule}</td></tr>'
        )
    head = (
        '<colgroup><col style="width:34%"><col style="width:11%"><col style="width:15%">'
        '<col style="width:40%"></colgroup>'
        "<tr><th>Dimension</th><th>Score</th><th>From</th><th>Figure</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _verdict(card: Scorecard) -> str:
    rec = card.recommendation
    items = "".join(
        f"<li>{escape(seed)} — <span class='fig'>{escape(ours)}</span></li>"
        for seed, ours in rec.means
    )
    extra = f"<ul>{items}</ul><div>{escape(card.storage_model)}</div>" if rec.first_class else ""
    kind = "verdict" if rec.first_class else "verdict side"
    return (
        f'<div class="{kind}"><b>{escape(rec.headline)}</b>{extra}'
        f'<div class="rule">Based on {escape(rec.basis)}.</div></div>'
    )


def _section(section: Section) -> str:
    rows = []
    for item, check in section.rows:
        commands = " ".join(f"<code>{escape(c)}</code>" for c in item.commands)
        rows.append(
            f"<tr><td><b>{escape(item.seed.area)}</b></td><td>{escape(item.seed.question)}</td>"
            f"<td>{escape(item.feature)}<br>{commands}</td>"
            f'<td class="st {check.status}">{MARKS[check.status]}</td>'
            f'<td class="fig">{escape(check.detail)}</td></tr>'
        )
    head = (
        '<colgroup><col style="width:13%"><col style="width:27%"><col style="width:24%">'
        '<col style="width:9%"><col style="width:27%"></colgroup>'
        "<tr><th>Area</th><th>Question</th><th>In fleetledger</th><th>Here</th>"
        "<th>Evidence</th></tr>"
    )
    return f"<h2>{escape(section.title)}</h2><table>{head}{''.join(rows)}</table>"


def html(card: Scorecard) -> str:
    """The whole scorecard as one HTML document."""
    where = f"Ledger <code>{escape(card.ledger)}</code>" if card.ledger else "No ledger measured"
    if card.measured_at:
        where += f", measured {card.measured_at:%Y-%m-%d %H:%M:%S %Z}"
    radar = radar_svg([(s.dimension.name, s.value) for s in card.scores], width=480)
    sections = "".join(_section(section) for section in card.sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Readiness scorecard</title><style>{STYLE}</style></head><body>"
        f'<h1>Readiness scorecard</h1><div class="sub">{where}</div>'
        f'<div class="top"><div>{radar}</div><div style="flex:1">{_scores(card)}</div></div>'
        f"{_verdict(card)}{sections}</body></html>\n"
    )
