"""Drawing primitives for the report's inline SVG: the chart element, attributes, text,
the tier legend and axis ticks. Every number is written by ``num``, so the bytes are fixed."""

from __future__ import annotations

import math

from kaohe_rules.outputs.html_report.figures import EPSILON
from kaohe_rules.outputs.html_report.values import esc, num

WIDTH = 760  # every chart's viewBox width, in CSS pixels
LABEL_W = 170.0
RIGHT_W = 150.0
PLOT_W = WIDTH - LABEL_W - RIGHT_W - 10


def chart(name: str, height: float, body: list[str], label: str) -> str:
    """The ``<svg>`` element of one chart, titled ``label`` for screen readers."""
    return (
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {WIDTH} {num(height)}" '
        f'width="{WIDTH}" height="{num(height)}" role="img" aria-label="{esc(label)}">'
        f"<title>{esc(label)}</title>" + "".join(body) + "</svg>"
    )


def attrs(**attributes: object) -> str:
    """``name="value"`` pairs; ``data_tier`` becomes ``data-tier``, a trailing _ is dropped."""
    parts = []
    for name, value in attributes.items():
        name = name.rstrip("_").replace("_", "-")
        text = num(value) if isinstance(value, float | int) else str(value)
        parts.append(f'{name}="{esc(text)}"')
    return " ".join(parts)


def text_at(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    """A ``<text>`` element at (x, y)."""
    extra = f' class="{cls}"' if cls else ""
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{extra}>{esc(text)}</text>'


def legend(order: list[str], colors: dict[str, str], y: float) -> list[str]:
    """One coloured square and name per tier, left to right."""
    body, x = [], 10.0
    for tier in order:
        body.append(
            f'<rect class="legend" {attrs(x=x, y=y - 10, width=12, height=12)} '
            f'fill="{colors[tier]}"/>'
        )
        body.append(text_at(x + 16, y, tier, "small"))
        x += 16 + 13 * len(tier) + 18
    return body


def tick_values(low: float, high: float) -> list[float]:
    """About eight round tick values (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    span = max(high - low, EPSILON)
    raw = span / 8
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    start = math.ceil(low / step - EPSILON) * step
    count = math.floor((high - start) / step + EPSILON) + 1
    return [start + i * step for i in range(count)]
