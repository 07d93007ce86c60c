"""The expression language: parse, check, and evaluate over many units or one.

The rest of the package uses this facade; the submodules each own one step.
"""

from __future__ import annotations

from kaohe_rules.dsl.check import Compiled, Scope, Symbol, check
from kaohe_rules.dsl.parser import parse
from kaohe_rules.dsl.population import Population
from kaohe_rules.dsl.types import Type
from kaohe_rules.source import Origin

__all__ = ["Compiled", "Origin", "Population", "Scope", "Symbol", "compile_expression"]


def compile_expression(
    text: str,
    scope: Scope,
    origin: Origin | None = None,
    expect: Type | None = None,
) -> Compiled:
    """Parse and check one expression; raise KaoheError with every problem found."""
    return check(parse(text, origin), scope, expect=expect, source=text)
