"""Data naming what the rule set does not know, as the rule set's `未知数据` setting says.

- 报错 (the default): every such column or row is an error KH302, and nothing is read;
- 警告: one warning KH302 per unknown name, at its first place (a million rows naming
  one unknown indicator give one warning, with the count of values left out);
- 忽略: no diagnostic, but the names and their counts are kept on the data set, and
  `kaohe evaluate` says how many it left out, so a dropped column is never silent.

Both readers (read/rows.py row by row, read/columnar.py by columns) report through
here, so they report the same names at the same places.
"""

from __future__ import annotations

from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

POLICIES = ("报错", "警告", "忽略")
DEFAULT = "报错"
# Unknown names that get a "did you mean" hint: no command lists more problems than this
# (validate: 200), and a suggestion costs a fuzzy match over every known name, which for
# 200,000 unknown columns would take minutes.
SUGGESTED = 200


class Suggestions:
    """ "是否应为 …" hints, for the first SUGGESTED names asked about; None after those."""

    def __init__(self) -> None:
        self.left = SUGGESTED

    def __call__(self, name: str, known) -> str | None:
        if self.left <= 0:
            return None
        self.left -= 1
        return suggest(name, list(known))


@data_record(frozen=False)
class Unknown:
    """One unknown name: where it was first seen, and how many values it carried."""

    span: Span
    values: int
    hint: str | None


class UnknownNames:
    """What the readers found that the rule set does not know, by name, in reading order."""

    def __init__(self, policy: str, errors: Collector) -> None:
        self.policy, self.errors = policy, errors
        self.found: dict[str, Unknown] = {}
        self.hint = Suggestions()  # (name, known names) → its hint, for the first few

    @property
    def refused(self) -> bool:
        """Whether unknown names are errors (the reader must not read past them)."""
        return self.policy == DEFAULT

    def seen(self, name: str, span: Span, hint: str | None, values: int = 1) -> None:
        """One more place naming ``name``: an error now, or counted for later."""
        if self.refused:
            self.errors.error("KH302", f"规则集中没有指标或数据项 '{name}'", span, hint)
            return
        known = self.found.get(name)
        if known is None:
            self.found[name] = Unknown(span, values, hint)
        else:
            known.values += values

    def warnings(self) -> list[Diagnostic]:
        """Under 警告, one warning per unknown name; nothing otherwise."""
        if self.policy != "警告":
            return []
        out = []
        for name, unknown in self.found.items():
            message = (
                f"规则集中没有指标或数据项 '{name}'，它的 {unknown.values} 个值没有读入"
                "（规则集 未知数据: 警告）"
            )
            hint = unknown.hint or "统计用的列可以不管；若是指标或数据项，请检查名称或声明它"
            out.append(Diagnostic("KH302", message, unknown.span, hint, severity=Severity.WARNING))
        return out

    def ignored(self) -> dict[str, int]:
        """Under 忽略, each name left out and its count of values."""
        if self.policy != "忽略":
            return {}
        return {name: unknown.values for name, unknown in self.found.items()}


def summary(ignored: dict[str, int]) -> str | None:
    """The line `kaohe evaluate` prints for names left out under 忽略, or None."""
    if not ignored:
        return None
    names = list(ignored)
    listed = "、".join(names[:10]) + ("等" if len(names) > 10 else "")
    values = sum(ignored.values())
    return (
        f"按规则集的 未知数据: 忽略，有 {len(names)} 个规则集中没有的名称未读入"
        f"（共 {values} 个值）：{listed}"
    )
