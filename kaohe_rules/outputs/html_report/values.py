"""How a value is written on the page: escaped text, numbers rounded half-up, shares."""

from __future__ import annotations

import html
import math

from kaohe_rules.dsl.numeric import round_scalar


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def num(value: object, digits: int = 2) -> str:
    """A number rounded half-up to ``digits`` decimals, trailing zeros dropped; — if missing."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    rounded = round_scalar(value, digits)
    text = format(rounded, f".{digits}f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def pct(value: float | None) -> str:
    """A share as a percentage with one decimal: 0.125 → 12.5%; — if missing."""
    return "—" if value is None or math.isnan(value) else f"{num(value * 100, 1)}%"
