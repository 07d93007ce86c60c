"""The indicator manual as one self-contained HTML page: inline style, no script, no
external asset. Every text from the rules is escaped (names and formulas are typed by
people and must never become markup)."""

from __future__ import annotations

from html import escape

from kaohe_rules.outputs.manual import Block, Heading, Manual, Paragraph, Table

_STYLE = """\
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", SimSun, serif;
       max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.6; color: #222; }
h1.title { text-align: center; margin-bottom: 0; }
p.subtitle { text-align: center; font-size: 1.3em; margin-top: .3em; }
h2 { border-bottom: 2px solid #444; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; }
th, td { border: 1px solid #999; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eee; }
table.keyed td:first-child { width: 7em; background: #f6f6f6; white-space: nowrap; }
@media print { h2, h3 { page-break-after: avoid; } table { page-break-inside: avoid; } }
"""

# Document levels one below the page's own title: a domain is <h2>.
_LEVELS = {1: "h2", 2: "h3", 3: "h4"}


def render_html(manual: Manual) -> str:
    """The page, one block per line group; the same manual gives the same text."""
    title = escape(f"{manual.title} {manual.subtitle}")
    lines = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{title}</title>",
        f"<style>\n{_STYLE}</style>",
        "</head>",
        "<body>",
        f'<h1 class="title">{escape(manual.title)}</h1>',
        f'<p class="subtitle">{escape(manual.subtitle)}</p>',
    ]
    for block in manual.blocks:
        lines += _block(block)
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)


def _block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        tag = _LEVELS[block.level]
        return [f"<{tag}>{escape(block.text)}</{tag}>"]
    if isinstance(block, Paragraph):
        return [f"<p>{escape(block.text)}</p>"]
    return _table(block)


def _table(table: Table) -> list[str]:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    lines = [f'<table class="{"keyed" if table.keyed else "list"}">', f"<tr>{head}</tr>"]
    for row in table.rows:
        lines.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
    lines.append("</table>")
    return lines
