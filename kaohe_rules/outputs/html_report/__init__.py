"""The year's report as one self-contained HTML page: charts as inline SVG, no scripts.

Everything is drawn here, in Python, from an Evaluation: tier counts per category,
the spread of totals with the tier cut lines, each paper's mean contribution, an
indicator table, one unit's rank and tier across years, and where units score low.
The page needs nothing from the network, prints on A4, and is deterministic: the
same rules and data give the same bytes (no timestamps, fixed number formatting,
fixed order). Every piece of text from rules or data goes through html.escape.

values (how a number or text is written) ← figures (what the charts count) ← svg
(drawing primitives) ← charts ← sections (one per part of the page) ← page.
"""

from kaohe_rules.outputs.html_report.page import build_report

__all__ = ["build_report"]
