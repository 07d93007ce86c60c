"""What a revision changes: a semantic diff of two resolved rule sets, and whom it moves.

Never a text diff of YAML: indicators, weights, targets, methods, tier rules,
labels and variants are compared as the model sees them, each change with the
file and line on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kaohe_rules import model as m
from kaohe_rules.dsl.printer import number_text
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.source import Span

INDICATOR_FIELDS = {
    "名称": "name",
    "考卷": "paper",
    "满分": "full",
    "方向": "direction",
    "计分方法": "method",
    "目标值": "target",
    "下限值": "floor",
    "上限值": "ceiling",
    "档位": "thresholds",
    "得分率": "shares",
    "排名步长": "rank_step",
    "最低分": "rank_minimum",
    "半年目标值": "half_year_target",
    "半年下限值": "half_year_floor",
    "半年上限值": "half_year_ceiling",
    "半年档位": "half_year_thresholds",
    "牵头单位": "lead",
    "责任人": "owner",
    "缺失数据": "missing",
    "单位": "unit_of_measure",
    "最小值": "minimum",
    "最大值": "maximum",
    "超出范围": "out_of_range",
}


@dataclass
class Change:
    """One difference between the old and the new rules."""

    domain: str
    kind: str  # 新增 删除 修改 改名
    what: str
    old: str = ""
    new: str = ""
    old_span: Span | None = None
    new_span: Span | None = None

    def to_dict(self) -> dict:
        cite = lambda s: f"{s.file}:{s.line}" if s else None  # noqa: E731
        return {
            "领域": self.domain,
            "类型": self.kind,
            "对象": self.what,
            "原": self.old,
            "新": self.new,
            "原出处": cite(self.old_span),
            "新出处": cite(self.new_span),
        }


def _text(value: object) -> str:
    if value is None or value == "" or value == ():
        return "（无）"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, m.Expr):
        return value.text.strip()
    return str(value)


def _expr_text(expr: m.Expr | None) -> str:
    return "" if expr is None else expr.text.strip()


@dataclass
class _Differ:
    changes: list[Change] = field(default_factory=list)

    def add(self, domain: str, kind: str, what: str, old=None, new=None, os=None, ns=None):
        self.changes.append(Change(domain, kind, what, _text(old), _text(new), os, ns))

    def compare(self, old: m.RuleSet, new: m.RuleSet) -> list[Change]:
        if old.precision != new.precision:
            self.add("全部", "修改", "精度", old.precision, new.precision)
        self._items("全部", "数据项", _named(old.data_items), _named(new.data_items))
        self._aggregations(old.aggregations, new.aggregations)
        olds, news = {d.name: d for d in old.domains}, {d.name: d for d in new.domains}
        for name in _only(olds, news):
            self.add(name, "删除", "领域", name, None, olds[name].span)
        for name in _only(news, olds):
            self.add(name, "新增", "领域", None, name, None, news[name].span)
        for name in [n for n in news if n in olds]:
            self._domain(olds[name], news[name])
        self._specials(old, new)
        self._roster(old, new)
        return self.changes

    def _specials(self, old: m.RuleSet, new: m.RuleSet) -> None:
        """专项考核 added or removed; a kept one is compared as a domain, with who takes part
        and what it feeds into the comprehensive assessment."""
        olds, news = {s.name: s for s in old.specials}, {s.name: s for s in new.specials}
        for name in _only(olds, news):
            self.add(f"专项考核 {name}", "删除", "专项考核", name, None, olds[name].span)
        for name in _only(news, olds):
            self.add(f"专项考核 {name}", "新增", "专项考核", None, name, None, news[name].span)
        for name in [n for n in news if n in olds]:
            before, after = olds[name], news[name]
            where = f"专项考核 {name}"
            self._pairs(where, "对象", {"对象": before.members}, {"对象": after.members})
            self._domain(before.domain, after.domain, where)
            self._pairs(
                where,
                "计入综合考核",
                {f"{c.kind} {c.name}": c.expr for c in before.contributions},
                {f"{c.kind} {c.name}": c.expr for c in after.contributions},
            )

    def _aggregations(self, old: tuple, new: tuple) -> None:
        """记录汇总 added or removed, and each key of a kept one that changed."""
        olds, news = {a.name: a for a in old}, {a.name: a for a in new}
        self._items("全部", "记录汇总", _named(old), _named(new))
        for name in [n for n in news if n in olds]:
            before, after = olds[name], news[name]
            for key, attribute in AGGREGATION_FIELDS.items():
                was, now = getattr(before, attribute), getattr(after, attribute)
                if _comparable(was) != _comparable(now):
                    what = f"记录汇总 {name} 的 {key}"
                    spans = (before.span_of(key), after.span_of(key))
                    self.add("全部", "修改", what, _shown(key, was), _shown(key, now), *spans)

    def _items(self, domain: str, kind: str, old: dict, new: dict) -> None:
        for name in _only(old, new):
            self.add(domain, "删除", f"{kind} {name}", name, None, old[name])
        for name in _only(new, old):
            self.add(domain, "新增", f"{kind} {name}", None, name, None, new[name])

    def _domain(self, old: m.Domain, new: m.Domain, d: str | None = None) -> None:
        d = d or new.name
        if old.total != new.total:
            self.add(d, "修改", "总分", old.total, new.total, old.span, new.span)
        if old.missing != new.missing:
            self.add(d, "修改", "缺失数据", old.missing, new.missing, old.span, new.span)
        self._pairs(
            d,
            "类别",
            {c.name: c.condition for c in old.categories},
            {c.name: c.condition for c in new.categories},
        )
        self._papers(d, old, new)
        self._indicators(d, old, new)
        self._adjustments(d, old.adjustments, new.adjustments)
        self._ranking(d, old.ranking, new.ranking)
        self._tiers(d, old.tiers, new.tiers)
        self._pairs(
            d, "标签", {x.name: x.expr for x in old.labels}, {x.name: x.expr for x in new.labels}
        )
        self._variants(d, old, new)

    def _pairs(self, d: str, kind: str, old: dict[str, m.Expr], new: dict[str, m.Expr]) -> None:
        """Named expressions: added, removed, or changed text."""
        for name, expr in old.items():
            if name not in new:
                self.add(d, "删除", f"{kind} {name}", expr, None, expr.span)
            elif _expr_text(expr) != _expr_text(new[name]):
                self.add(d, "修改", f"{kind} {name}", expr, new[name], expr.span, new[name].span)
        for name, expr in new.items():
            if name not in old:
                self.add(d, "新增", f"{kind} {name}", None, expr, None, expr.span)

    def _papers(self, d: str, old: m.Domain, new: m.Domain) -> None:
        olds, news = {p.id: p for p in old.papers}, {p.id: p for p in new.papers}
        for pid, paper in olds.items():
            if pid not in news:
                self.add(d, "删除", f"考卷 {pid}", paper.name, None, paper.span)
                continue
            other = news[pid]
            if paper.weight != other.weight:
                what = f"考卷 {pid} › 权重"
                self.add(d, "修改", what, paper.weight, other.weight, paper.span, other.span)
            if _expr_text(paper.formula) != _expr_text(other.formula):
                what = f"考卷 {pid} › 计分"
                self.add(d, "修改", what, paper.formula, other.formula, paper.span, other.span)
        for pid, paper in news.items():
            if pid not in olds:
                self.add(d, "新增", f"考卷 {pid}", None, paper.name, None, paper.span)

    def _indicators(self, d: str, old: m.Domain, new: m.Domain) -> None:
        olds = {i.id: i for i in old.indicators()}
        news = {i.id: i for i in new.indicators()}
        removed = [i for k, i in olds.items() if k not in news]
        added = [i for k, i in news.items() if k not in olds]
        for gone in list(removed):
            twin = next((a for a in added if a.name == gone.name and a.name != a.id), None)
            if twin is not None:  # same Chinese name under a new id: a rename
                self.add(d, "改名", f"指标 {gone.name}", gone.id, twin.id, gone.span, twin.span)
                removed.remove(gone)
                added.remove(twin)
        for gone in removed:
            what = f"考卷 {gone.paper} › 指标 {gone.id}"
            self.add(d, "删除", what, f"{gone.name}（满分 {_text(gone.full)}）", None, gone.span)
        for came in added:
            what = f"考卷 {came.paper} › 指标 {came.id}"
            method = m.METHOD_NAMES.get(came.method, came.method)
            text = f"{came.name}（满分 {_text(came.full)}，{method}）"
            self.add(d, "新增", what, None, text, None, came.span)
        for key in [k for k in news if k in olds]:
            self._indicator(d, olds[key], news[key])

    def _indicator(self, d: str, old: m.Indicator, new: m.Indicator) -> None:
        percent = new.unit_of_measure == "%"
        for label, attribute in INDICATOR_FIELDS.items():
            before, after = getattr(old, attribute), getattr(new, attribute)
            if before != after:
                if attribute == "method":
                    before = m.METHOD_NAMES.get(before, before)
                    after = m.METHOD_NAMES.get(after, after)
                elif percent and attribute in _PERCENT_FIELDS:
                    before, after = _percent(before), _percent(after)
                what = f"考卷 {new.paper} › 指标 {new.id} › {label}"
                self.add(d, "修改", what, before, after, old.span, new.span)
        if old.method == new.method == "formula" and old.formula.text != new.formula.text:
            what = f"考卷 {new.paper} › 指标 {new.id} › 计分"
            self.add(d, "修改", what, old.formula, new.formula, old.span, new.span)

    def _adjustments(self, d: str, old: m.Adjustments, new: m.Adjustments) -> None:
        for kind, before, after in (
            ("加分", old.bonuses, new.bonuses),
            ("扣分", old.deductions, new.deductions),
        ):
            olds, news = {i.id: i for i in before}, {i.id: i for i in after}
            for key, item in olds.items():
                if key not in news:
                    self.add(d, "删除", f"{kind} {key}", item.formula, None, item.span)
                    continue
                other = news[key]
                if _expr_text(item.formula) != _expr_text(other.formula):
                    what = f"{kind} {key} › " + ("每项" if other.family else "计分")
                    self.add(d, "修改", what, item.formula, other.formula, item.span, other.span)
                before, after = (i.family.prefix if i.family else None for i in (item, other))
                if before != after:  # which data items a family sums (families.py)
                    what = f"{kind} {key} › 前缀"
                    self.add(d, "修改", what, before, after, item.span, other.span)
                if item.cap != other.cap:
                    self.add(
                        d,
                        "修改",
                        f"{kind} {key} › 上限",
                        item.cap,
                        other.cap,
                        item.span,
                        other.span,
                    )
            for key, item in news.items():
                if key not in olds:
                    self.add(d, "新增", f"{kind} {key}", None, item.formula, None, item.span)
        for label, before, after in (
            ("加分上限", old.bonus_cap, new.bonus_cap),
            ("扣分上限", old.deduction_cap, new.deduction_cap),
        ):
            if before != after:
                self.add(d, "修改", label, before, after)
        self._pairs(d, "一票否决", dict(old.vetoes), dict(new.vetoes))

    def _ranking(self, d: str, old: m.Ranking | None, new: m.Ranking | None) -> None:
        if _ranking_text(old) != _ranking_text(new):
            self.add(d, "修改", "排名", _ranking_text(old), _ranking_text(new))

    def _tiers(self, d: str, old: m.Tiers | None, new: m.Tiers | None) -> None:
        before = old.rules if old else ()
        after = new.rules if new else ()
        for index in range(max(len(before), len(after))):
            a = before[index] if index < len(before) else None
            b = after[index] if index < len(after) else None
            if _rule(a) != _rule(b):
                what = f"等次规则第 {index + 1} 条"
                kind = "新增" if a is None else "删除" if b is None else "修改"
                self.add(
                    d,
                    kind,
                    what,
                    _rule(a) or None,
                    _rule(b) or None,
                    a.span if a else None,
                    b.span if b else None,
                )
        if old and new and old.veto_takes_bottom != new.veto_takes_bottom:
            yes = lambda v: "是" if v else "否"  # noqa: E731
            self.add(
                d, "修改", "否决占末位名额", yes(old.veto_takes_bottom), yes(new.veto_takes_bottom)
            )

    def _variants(self, d: str, old: m.Domain, new: m.Domain) -> None:
        olds = {v.unit: _variant(v) for v in old.variants}
        news = {v.unit: _variant(v) for v in new.variants}
        spans_old = {v.unit: v.span for v in old.variants}
        spans_new = {v.unit: v.span for v in new.variants}
        # Old order, then the new ones: a set's order would change from run to run.
        for unit in [*olds, *(u for u in news if u not in olds)]:
            before, after = olds.get(unit), news.get(unit)
            if before != after:
                kind = "新增" if before is None else "删除" if after is None else "修改"
                self.add(
                    d,
                    kind,
                    f"一单位一策 {unit}",
                    before,
                    after,
                    spans_old.get(unit),
                    spans_new.get(unit),
                )

    def _roster(self, old: m.RuleSet, new: m.RuleSet) -> None:
        before, after = {u.id: u for u in old.units}, {u.id: u for u in new.units}
        for key in sorted(before.keys() - after.keys()):
            u = before[key]
            self.add(u.domain, "删除", f"考核对象 {u.name}（{u.id}）", u.name, None, u.span)
        for key in sorted(after.keys() - before.keys()):
            u = after[key]
            self.add(u.domain, "新增", f"考核对象 {u.name}（{u.id}）", None, u.name, None, u.span)


_PERCENT_FIELDS = {
    "target",
    "floor",
    "ceiling",
    "half_year_target",
    "half_year_floor",
    "half_year_ceiling",
    "minimum",
    "maximum",
}


AGGREGATION_FIELDS = {
    "文件": "file",
    "单位列": "unit_column",
    "单位按": "unit_by",
    "筛选": "filter",
    "度量": "measure",
    "列": "column",
    "条件": "condition",
    "权重": "weights",
    "分位": "percentile",
    "分组": "group_column",
    "合成": "combine",
}


def _comparable(value: object) -> object:
    return _expr_text(value) if isinstance(value, m.Expr) else value


def _shown(key: str, value: object) -> object:
    """A declaration's value as the rules write it: measures in Chinese, 分位 in %."""
    if key == "度量" and isinstance(value, str):
        return next((zh for zh, en in m.MEASURES.items() if en == value), value)
    if key == "分位" and value is not None:
        return _percent(value)
    return value


def _percent(value: float | None) -> str | None:
    return None if value is None else number_text(value, percent=True)


def _ranking_text(ranking: m.Ranking | None) -> str:
    if ranking is None:
        return ""
    keys = (ranking.key, *ranking.tiebreak)
    text = "，".join(f"{k.expr.text.strip()} {'降序' if k.descending else '升序'}" for k in keys)
    return text if ranking.scope == "类别" else f"{text}（范围 {ranking.scope}）"


def _only(these: dict, others: dict) -> list:
    """The names of ``these`` that ``others`` lacks, in the order the rules wrote them: a
    set difference would list them in an order that changes from run to run (str hashes
    are salted), and the output of kaohe diff must be the same every time."""
    return [name for name in these if name not in others]


def _named(items) -> dict[str, Span | None]:
    return {item.name: item.span for item in items}


def _rule(rule: m.TierRule | None) -> str:
    if rule is None:
        return ""
    parts = [rule.tier]
    for label, expr in (
        ("条件", rule.condition),
        ("前列", rule.top),
        ("末位", rule.bottom),
        ("除非", rule.unless),
    ):
        if expr is not None:
            parts.append(f"{label} {_expr_text(expr)}")
    return "，".join(parts)


def _variant(variant: m.Variant) -> str:
    parts = []
    if variant.drop:
        parts.append("删除 " + "、".join(variant.drop))
    if variant.add:
        parts.append("新增 " + "、".join(a.id for a in variant.add))
    for target, parameter, value, _span in variant.changes:
        parts.append(f"{target}.{parameter} = {_text(value)}")
    return "；".join(parts)


def diff_rules(old: m.RuleSet, new: m.RuleSet) -> list[Change]:
    """Every semantic difference between two resolved rule sets."""
    return _Differ().compare(old, new)


@dataclass
class Move:
    """One unit's result under the old and the new rules."""

    unit: m.Unit
    domain: str
    category: str
    old_rank: int
    new_rank: int
    old_tier: str
    new_tier: str
    old_labels: dict[str, object]
    new_labels: dict[str, object]
    old_total: float
    new_total: float


def _results(evaluation: Evaluation) -> dict[str, tuple]:
    out = {}
    for d in evaluation.domains:
        for i, unit in enumerate(d.units):
            labels = {}
            for name, column in d.labels.items():
                value = column[i]
                if d.label_types.get(name) == "bool":
                    value = "是" if value == 1.0 else "否"
                labels[name] = value
            out[unit.id] = (
                unit,
                d.domain.name,
                d.category[i],
                int(d.rank[i]),
                d.tier[i],
                labels,
                float(d.total[i]),
            )
    return out


def impact(old: Evaluation, new: Evaluation) -> list[Move]:
    """Every unit present in both years' results, with its old and new standing."""
    before, after = _results(old), _results(new)
    moves = []
    for key, (unit, domain, category, rank, tier, labels, total) in after.items():
        if key not in before:
            continue
        _u, _d, _c, old_rank, old_tier, old_labels, old_total = before[key]
        moves.append(
            Move(
                unit,
                domain,
                category,
                old_rank,
                rank,
                old_tier,
                tier,
                old_labels,
                labels,
                old_total,
                total,
            )
        )
    return moves


def changed_units(moves: list[Move]) -> Iterator[Move]:
    """Units whose tier or labels change."""
    for move in moves:
        if move.old_tier != move.new_tier or move.old_labels != move.new_labels:
            yield move
