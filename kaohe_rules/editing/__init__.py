"""Editing services: the checks, completions and explanations an editor shows, computed
on a rules root plus the user's unsaved buffers, with no protocol in them.

The language server (``kaohe lsp``, workbench/lsp.py) and the browser workbench
(``kaohe serve``) are thin layers on these functions, which run the loader, schema,
resolver and checks that ``kaohe validate`` runs: no check is implemented twice.

Positions: every ``line``/``column`` here is the project's ``Span`` convention, 1-based
line and 1-based column counted in characters (Unicode code points, as Python indexes a
str). positions.py converts to and from the LSP's 0-based UTF-16 code units.
"""

from kaohe_rules.editing.complete import Completion, complete
from kaohe_rules.editing.diagnose import affected_rule_sets, diagnose
from kaohe_rules.editing.hover import Hover, hover

__all__ = [
    "Completion",
    "Hover",
    "affected_rule_sets",
    "complete",
    "diagnose",
    "hover",
]
