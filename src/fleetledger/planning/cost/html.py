"""The report as one self-contained HTML page: the headline, the three charts (embedded PNGs),
the tables and the assumptions. Every text is escaped; nothing is fetched from elsewhere."""

from __future__ import annotations

import base64
import html
import re

from fleetledger.planning.cost.report import Report, Table

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1c2833; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
ul.headline { background: #f4f6f7; padding: .8rem 2rem; border-radius: 6px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.charts img { width: 100%; border: 1px solid #e5e8e8; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e8e8; padding: 4px 8px; text-align: left;
         vertical-align: top; }
th { background: #f4f6f7; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
p.note { color: #566573; font-size: 12px; }
"""

_CAPTIONS = {
    "monthly-cost": "Monthly cost per architecture",
    "storage-growth": "Stored bytes per family",
    "cross-zone": "Cross-zone bytes by cause",
}


def page(report: Report, charts: dict[str, bytes]) -> str:
    """The whole page."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        "<ul class='headline'>",
        *(f"<li>{_e(line)}</li>" for line in report.headline),
        "</ul><div class='charts'>",
        *(_image(name, charts[name]) for name in _CAPTIONS if name in charts),
        "</div>",
        *(_table(table) for table in report.tables),
        "<h2>Assumptions</h2><ul>",
        *(f"<li>{_e(a)}</li>" for a in report.assumptions),
        "</ul></body></html>",
    ]
    return "\n".join(parts)


def _image(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode()
    return f"<img alt='{_e(_CAPTIONS[name])}' src='data:image/png;base64,{data}'>"


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    note = f"<p class='note'>{_cell(table.note)}</p>" if table.note else ""
    return f"<h2>{_e(table.title)}</h2><table><tr>{head}</tr>{body}</table>{note}"


def _cell(text: str) -> str:
    """Escaped text, with Markdown's **bold** kept as <b> and URLs as links."""
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", _e(text))
    return re.sub(r"(https://[^\s<]+)", r"<a href='\1'>\1</a>", escaped)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
