"""The report page's style sheet: screen and A4 print, no web fonts, no scripts."""

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --accent: #1565c0; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 820px; padding: 24px 20px 48px; color: var(--ink);
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; font-size: 15px; line-height: 1.6; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
p.meta, p.note, figcaption { color: var(--muted); font-size: 13px; }
nav ol { margin: 8px 0; padding-left: 22px; columns: 2; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; }
figure { margin: 8px 0 16px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: var(--ink); }
svg text.small { font-size: 11px; fill: var(--muted); }
svg text.head { font-size: 13px; font-weight: bold; }
svg text.inbar, svg text.chiptext { font-size: 11px; fill: #fff; font-weight: bold; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .cut { stroke-width: 2; stroke-dasharray: 4 3; }
svg .dot { stroke: #fff; stroke-width: 0.8; }
svg .bar { fill: var(--accent); }
svg .bar.problem { fill: #c62828; }
svg .weight { fill: #e3e8ee; }
svg .line { fill: none; stroke: #57606a; stroke-width: 2; }
svg .point { stroke: #fff; stroke-width: 1.5; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff8e1; }
span.flag { color: #b26a00; font-weight: bold; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px;
  border-top: 1px solid var(--line); }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
