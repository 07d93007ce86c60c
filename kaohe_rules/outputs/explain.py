"""Explains one unit's result in Chinese: every number, the formula that made it, and its source.

Each formula is re-evaluated for the unit alone by the single-unit interpreter,
with a trace, so the explanation shows the formula with the unit's numbers
filled in; every step cites the rule file and line it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.dsl.numeric import round_scalar
from kaohe_rules.dsl.population import value_at
from kaohe_rules.dsl.printer import to_source
from kaohe_rules.dsl.scalar import evaluate_one
from kaohe_rules.outputs.explain_records import records_entries, records_lines
from kaohe_rules.outputs.fill.store import collected_sources
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult
from kaohe_rules.source import Span


def show(value: object) -> str:
    """A value as an explanation prints it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "缺失"
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | int | np.floating):
        rounded = round_scalar(float(value), 6)
        text = format(rounded, "f").rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def show_percent(value: object) -> str:
    """A share as a percentage: 0.055 → 5.5%."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "缺失"
    return show(float(value) * 100) + "%"


_PERCENT_NAMES = frozenset({"值", "目标值", "下限值", "上限值", "半年目标值"})


def _quoted(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else show(value)


def cite(span: Span | None) -> str:
    """``rules/2024/市县.yaml:42``, the place an official can look the clause up."""
    return f"{span.file}:{span.line}" if span else ""


def find_unit(
    evaluation: Evaluation, key: str, results: list[DomainResult] | None = None
) -> tuple[DomainResult, int]:
    """The domain result (or, given ``results``, one of those) and position of a unit given
    by id or Chinese name."""
    results = evaluation.domains if results is None else results
    matches = [(d, i) for d in results for i, u in enumerate(d.units) if key in (u.id, u.name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = "、".join(f"{d.units[i].id}（{d.domain.name}）" for d, i in matches)
        message = f"名称 '{key}' 对应多个单位：{options}"
        raise KaoheError([Diagnostic("KH309", message, None, "请用编号")])
    names = [u.name for d in results for u in d.units]
    message = f"名单中没有单位 '{key}'" if results is evaluation.domains else f"没有单位 '{key}'"
    raise KaoheError([Diagnostic("KH301", message, None, suggest(key, names))])


def _given(given, index: int) -> str:
    """A special assessment's contribution to one unit, as an explanation prints it."""
    value = given.value[index]
    if given.type == "bool" or given.contribution.kind == "一票否决":
        return show(bool(value == 1.0))
    return show(value)


def _sample_fields(evaluation: Evaluation) -> dict:
    """示例数据 (and 数据说明) as in every JSON output: the bundled sample says so."""
    from kaohe_rules.read.bundled import sample_notice

    notice = sample_notice(evaluation.data)
    return {"示例数据": True, "数据说明": notice} if notice else {"示例数据": False}


def _shown(value: object) -> object:
    """A step's value for the JSON as the text shows it: numbers to 6 decimals, whole
    numbers as integers, no binary noise (-2.6576670000000036) nor NaN (missing: null)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | int | np.floating | np.integer):
        if np.isnan(value):
            return None
        rounded = round_scalar(float(value), 6)
        return int(rounded) if rounded.is_integer() else rounded
    return value


@dataclass
class _Step:
    formula: str
    filled: str
    value: object
    source: str


class _Explainer:
    def __init__(self, evaluation: Evaluation, domain: DomainResult, index: int) -> None:
        self.evaluation, self.d, self.i = evaluation, domain, index
        self.resolved = evaluation.resolved
        self.collected = collected_sources(evaluation.data.files)

    def step(self, expr: m.Expr, percent: frozenset[str] = frozenset(), population=None) -> _Step:
        """One formula for this unit: as written, with the unit's values, and its value.

        Names in ``percent`` (an indicator measured in %) are shown as percentages;
        ``population``: where to evaluate it, when not where scoring last ran it.
        """
        program = self.resolved.program(expr)
        trace: dict[int, object] = {}
        context = self.d.contexts[expr] if population is None else population
        value, _warnings = evaluate_one(program, context, self.i, trace)
        symbols = program.symbols

        def values(node: ast.Node) -> str | None:
            if id(node) not in trace:
                return None
            found = trace[id(node)]
            if isinstance(node, ast.Call) and program.bindings[id(node)].function.cohort:
                # A group's value (group_max, rank…): its result, not the unit's own value.
                return None if isinstance(found, dict) else _quoted(found)
            if isinstance(node, ast.Attribute) and id(node) not in symbols:
                return _quoted(found)  # a field of history(n)
            if id(node) not in symbols:
                return None
            if symbols[id(node)] in percent:
                return show_percent(found)
            return _quoted(found)

        filled = to_source(program.node, show=values)
        return _Step(to_source(program.node), filled, _shown(value), cite(expr.span))

    def unit(self) -> dict:
        d, i = self.d, self.i
        unit = d.units[i]
        ruleset = self.resolved.ruleset
        records = records_entries(self.evaluation, unit, show, cite)  # 记录汇总, if declared
        return {
            **({"记录汇总": records} if records else {}),
            "单位": unit.name,
            "编号": unit.id,
            "年度": ruleset.year,
            "期间": self.evaluation.period,
            "领域": d.domain.name,
            "类别": d.category[i],
            "指纹": self.evaluation.fingerprint,
            **_sample_fields(self.evaluation),
            "考卷": [self.paper(p) for p in d.domain.papers],
            "加减分": self.adjustments(),
            "总分": {
                "值": show(d.total[i]),
                "说明": f"各考卷得分 + 加分 − 扣分，四舍五入到 {ruleset.precision} 位小数",
            },
            "名次": self.ranking(),
            "等次": self.tier(),
            "标签": [self.label(label) for label in d.domain.labels] + self.given_labels(),
            "专项考核": self.specials(),
        }

    def _special(self, given) -> _Explainer:
        """An explainer of this unit inside the special assessment that gave ``given``."""
        done = next(r for r in self.evaluation.specials if r.special is given.special)
        return _Explainer(self.evaluation, done.result, done.result.index(self.d.units[self.i].id))

    def specials(self) -> list[dict]:
        """Each special assessment this unit took part in: its result there, and what each
        of its 计入综合考核 items gave this unit."""
        found: dict[str, dict] = {}
        for given in self.d.inputs:
            if not given.member[self.i]:
                continue
            inner = self._special(given)
            special = given.special
            if special.name not in found:
                found[special.name] = {
                    "名称": special.name,
                    "出处": cite(special.span),
                    "总分": show(inner.d.total[inner.i]),
                    "名次": inner.ranking(),
                    "等次": inner.tier(),
                    "计入": [],
                }
            item = given.contribution
            found[special.name]["计入"].append(
                {
                    "类别": item.kind,
                    "名称": item.name,
                    "值": _given(given, self.i),
                    "计分": vars(inner.step(item.expr)),
                    "出处": cite(item.span),
                }
            )
        return list(found.values())

    def given_labels(self) -> list[dict]:
        """Labels special assessments give: computed there for members, fixed for others."""
        labels = []
        for given in self.d.inputs:
            if given.contribution.kind != "标签":
                continue
            item = given.contribution
            entry = {"标签": item.name, "值": _given(given, self.i), "出处": cite(item.span)}
            if given.member[self.i]:
                entry["计分"] = vars(self._special(given).step(item.expr))
            else:
                entry["说明"] = f"未参加专项考核 {given.special.name}"
            labels.append(entry)
        return labels

    def paper(self, paper: m.Paper) -> dict:
        d, i = self.d, self.i
        entry = {"考卷": paper.id, "名称": paper.name, "得分": show(d.papers[paper.id][i])}
        entry["出处"] = cite(paper.span)
        if paper.formula is not None:
            entry["计分"] = vars(self.step(paper.formula))
            return entry
        keys = dict.fromkeys(ind.id for ind in d.indicators if ind.paper == paper.id)
        keys = [key for key in keys if d.applicable[key][i]]
        entry["指标"] = [self.indicator(key) for key in keys]
        counted = [key for key in keys if not d.excluded[key][i]]
        if len(counted) < len(keys) or paper.rescale:
            scored = sum(d.scores[key][i] for key in counted)
            full = sum(d.full[key][i] for key in counted)
            weight = d.paper_weights[paper.id][i]
            target = weight if paper.rescale else sum(d.full[key][i] for key in keys)
            ratio = f"{show(scored)} ÷ 满分合计 {show(full)} × {show(target)}"
            entry["说明"] = f"按满分折算：计入指标得分合计 {ratio} = {entry['得分']}"
        return entry

    def indicator(self, key: str) -> dict:
        d, i = self.d, self.i
        indicator = d.owner[key][i]
        context = d.contexts[indicator.formula]
        percent = _PERCENT_NAMES if indicator.unit_of_measure == "%" else frozenset()
        as_text = show_percent if percent else show
        entry = {
            "指标": key,
            "名称": indicator.name,
            "值": as_text(context.columns["值"][i]),
            **({"来源": src} if (src := self.collected.get((d.units[i].id, key))) else {}),
            "单位": "" if percent else indicator.unit_of_measure,
            "方向": indicator.direction,
            "计分方法": m.METHOD_NAMES.get(indicator.method, indicator.method),
        }
        for name in ("满分", "目标值", "下限值", "上限值", "排名步长", "最低分"):
            column = context.columns.get(name)
            value = None if column is None else value_at(column, i)
            if value is not None and not np.isnan(value):
                entry[name] = (as_text if name in percent else show)(value)
        if self.evaluation.period == "H1":
            unit = d.units[i]
            own = {
                (target, name)
                for v in d.domain.variants
                if v.unit in (unit.id, unit.name)
                for target, name, _value, _span in v.changes
            }
            entry["半年参数"] = half_year_source(indicator, own)
        entry["计分"] = vars(self.step(indicator.formula, percent))
        entry["得分"] = show(d.scores[key][i])
        if d.excluded[key][i]:
            entry["说明"] = "缺少数据，按缺失数据政策剔除，考卷按其余指标折算"
        elif np.isnan(context.columns["值"][i]):
            entry["说明"] = "缺少数据，按缺失数据政策记零分"
        if indicator.lead or indicator.owner:
            entry["牵头单位"], entry["责任人"] = indicator.lead, indicator.owner
        return entry

    def adjustments(self) -> dict:
        d, i = self.d, self.i
        adjust = d.domain.adjustments
        items = []
        for kind, group in (("加分", adjust.bonuses), ("扣分", adjust.deductions)):
            for item in group:
                entry = {"类别": kind, "名称": item.name, "计入": show(d.items[item.id][i])}
                if item.cap is not None:
                    entry["上限"] = show(item.cap)
                if item.family is not None:
                    items.append({**entry, **self.family(item)})
                else:
                    items.append({**entry, "计分": vars(self.step(item.formula))})
        vetoes = [
            {"名称": name, "条件": vars(self.step(condition))}
            for name, condition in adjust.vetoes
            if d.vetoes[name][i]
        ]
        for given in d.inputs:
            item = given.contribution
            if not given.member[i] or item.kind not in ("加分", "扣分", "一票否决"):
                continue
            name = f"专项考核 {given.special.name}"
            step = vars(self._special(given).step(item.expr))
            if item.kind == "一票否决":
                if given.value[i] == 1.0:
                    vetoes.append({"名称": name, "条件": step})
                continue
            entry = {"类别": item.kind, "名称": name, "计入": show(given.value[i])}
            if item.cap is not None:
                entry["上限"] = show(item.cap)
            items.append({**entry, "计分": step})
        return {
            "加分": show(d.bonus[i]),
            "加分上限": show(adjust.bonus_cap) if adjust.bonus_cap is not None else None,
            "扣分": show(d.deduction[i]),
            "扣分上限": show(adjust.deduction_cap) if adjust.deduction_cap is not None else None,
            "明细": items,
            "一票否决": vetoes,
        }

    def family(self, item: m.Adjustment) -> dict:
        """A family's 每项 for each member this unit has a value for, and their sum."""
        d, i = self.d, self.i
        base = d.contexts[item.formula]
        members, points = [], []
        for part in d.families.get(item.id, ()):
            if np.isnan(part.values[i]):
                continue  # no value for this member: it gives this unit nothing
            population = base.with_columns({**base.columns, "值": part.values})
            members.append(
                {"项": part.member, **vars(self.step(item.formula, population=population))}
            )
            points.append(float(part.points[i]))
        filled = " + ".join(show(p) for p in points) or "0"
        summed = {
            "formula": f"前缀 {item.family.prefix} 各成员的 {item.formula.text.strip()} 之和",
            "filled": filled,
            "value": float(sum(points)),
            "source": cite(item.family.span),
        }
        return {"前缀": item.family.prefix, "计分": summed, "成员": members}

    def ranking(self) -> dict:
        d, i = self.d, self.i
        ranking = d.domain.ranking
        scope = "领域" if ranking and ranking.scope == "领域" else f"类别 {d.category[i]}"
        keys = [] if ranking is not None else ["总分 降序"]
        if ranking is not None:
            for key in (ranking.key, *ranking.tiebreak):
                keys.append(f"{key.expr.text} {'降序' if key.descending else '升序'}")
        if not keys or not keys[-1].startswith("unit.编号"):
            keys.append("unit.编号 升序")
        return {
            "名次": int(d.rank[i]),
            "人数": int(d.size[i]),
            "范围": scope,
            "排序": "，".join(keys),
        }

    def tier(self) -> dict:
        d, i = self.d, self.i
        index = int(d.tier_rule[i])
        if index < 0:
            return {"等次": None, "说明": "没有等次规则"}
        rule = d.domain.tiers.rules[index]
        entry = {"等次": d.tier[i], "规则": f"第 {index + 1} 条", "出处": cite(rule.span)}
        if rule.condition is not None:
            entry["条件"] = vars(self.step(rule.condition))
        quota = rule.top or rule.bottom
        if quota is not None:
            step = self.step(quota)
            where = "前列" if rule.top else "末位"
            entry[where] = vars(step)
            place = f"{int(d.rank[i])} / {int(d.size[i])}"
            entry["说明"] = f"按名次取{where}名额，本单位名次 {place}，在名额之内"
            vetoed = int((d.veto & (d.groups == d.groups[i])).sum())
            if rule.bottom is not None and vetoed:
                takes = d.domain.tiers.veto_takes_bottom
                share = (
                    f"其中 {vetoed} 个名额由被否决的单位占用" if takes else "被否决的单位不占名额"
                )
                entry["说明"] += f"（本类别有 {vetoed} 个单位被一票否决，{share}）"
        if rule.is_default:
            entry["说明"] = "前面的等次规则都不适用于本单位，按兜底规则定等次"
        return entry

    def label(self, label: m.Label) -> dict:
        step = self.step(label.expr)
        return {
            "标签": label.name,
            "值": show(step.value),
            "计分": vars(step),
            "出处": cite(label.span),
        }


def explain(evaluation: Evaluation, key: str, special: str | None = None) -> dict:
    """Everything that made one unit's result, as a JSON-ready mapping; with ``special``,
    its result in that special assessment (专项考核) instead."""
    if special is None:
        domain, index = find_unit(evaluation, key)
        return _Explainer(evaluation, domain, index).unit()
    done = [r for r in evaluation.specials if r.special.name == special]
    if not done:
        names = [r.special.name for r in evaluation.specials]
        message = f"规则集中没有专项考核 '{special}'"
        hint = suggest(special, names) or ("可选：" + "、".join(names) if names else None)
        raise KaoheError([Diagnostic("KH301", message, None, hint)])
    domain, index = find_unit(evaluation, key, [done[0].result])
    entry = _Explainer(evaluation, domain, index).unit()
    entry["领域"] = f"专项考核 {special}"
    entry["所在领域"] = domain.units[index].domain
    return entry


def half_year_source(indicator: m.Indicator, own: set[tuple[str, str]] = frozenset()) -> str:
    """Where a half-year indicator's target and start come from (cycle._half): the unit's
    own 一单位一策 value (``own``: its changed (indicator, parameter) pairs in the half
    year), the indicator's 半年下限值 or 半年上限值, or the year's value scaled."""
    higher = indicator.direction == "越高越好"
    start = "下限值" if higher else "上限值"
    given = indicator.half_year_floor if higher else indicator.half_year_ceiling
    year = indicator.floor if higher else indicator.ceiling
    own_target = (indicator.id, "目标值") in own
    parts = ["目标值 取本单位一单位一策的调整值" if own_target else "目标值 取 半年目标值"]
    if (indicator.id, start) in own:
        parts.append(f"{start} 取本单位一单位一策的调整值")
    elif given is not None:
        parts.append(f"{start} 取 半年{start}")
    elif year is not None:
        parts.append(f"{start} 由全年{start}按 半年目标值 / 目标值 缩放")
    if indicator.method == "steps":
        parts.append("档位 取 半年档位" if indicator.half_year_thresholds else "档位 同全年")
    return "；".join(parts)


def render_text(entry: dict) -> str:
    """The explanation as Chinese text for the terminal."""
    lines = _heading_lines(entry)
    for paper in entry["考卷"]:
        lines += _paper_lines(paper)
    lines += _special_lines(entry)
    lines += _adjustment_lines(entry["加减分"])
    lines += records_lines(entry.get("记录汇总", []))
    lines += _result_lines(entry)
    lines += _label_lines(entry["标签"])
    return "\n".join(lines)


def _heading_lines(entry: dict) -> list[str]:
    """Who, which year and domain, the fingerprint, a note on the data; a blank line."""
    half = "（半年）" if entry.get("期间") == "H1" else ""
    where = f"{entry['年度']} 年度{half} · {entry['领域']} · 类别 {entry['类别']}"
    return [
        f"{entry['单位']}（{entry['编号']}）· {where}",
        f"指纹 {entry['指纹']}",
        *([entry["数据说明"]] if entry.get("数据说明") else []),
        "",
    ]


def _paper_lines(paper: dict) -> list[str]:
    """One paper's score, how it was computed, and each of its indicators."""
    lines = [f"【{paper['名称']}】得分 {paper['得分']}    〔{paper['出处']}〕"]
    if "计分" in paper:
        lines += _step_lines(paper["计分"], "  ")
    if "说明" in paper:
        lines.append(f"  {paper['说明']}")
    for ind in paper.get("指标", []):
        lines += _indicator_lines(ind)
    return [*lines, ""]


def _indicator_lines(ind: dict) -> list[str]:
    """An indicator's value and parameters, its formula with the unit's numbers, its score."""
    params = "，".join(f"{k} {ind[k]}" for k in ("目标值", "下限值", "上限值", "满分") if k in ind)
    unit = ind["单位"] if ind["值"] != "缺失" else ""
    how = f"{ind['方向']}，{ind['计分方法']}，{params}"
    source = f"    〔填报 {ind['来源']}〕" if "来源" in ind else ""
    lines = [f"  · {ind['名称']}：值 {ind['值']}{unit}，{how}{source}"]
    if "半年参数" in ind:
        lines.append(f"      半年参数：{ind['半年参数']}")
    lines += _step_lines(ind["计分"], "      ")
    lines.append(f"      得分 {ind['得分']}" + (f"（{ind['说明']}）" if "说明" in ind else ""))
    return lines


def _adjustment_lines(adjust: dict) -> list[str]:
    """Bonuses and deductions with their caps, each item, then the vetoes that hold."""
    caps = [
        f"{name[:2]}合计上限 {adjust[name]}"
        for name in ("加分上限", "扣分上限")
        if adjust.get(name) is not None
    ]
    capped_total = f"（{'，'.join(caps)}）" if caps else ""
    lines = [f"【加减分】加分 {adjust['加分']}，扣分 {adjust['扣分']}{capped_total}"]
    for item in adjust["明细"]:
        lines += _adjustment_item_lines(item)
    for veto in adjust["一票否决"]:
        lines.append(f"  · 一票否决 {veto['名称']}：成立")
        lines += _step_lines(veto["条件"], "      ")
    if not adjust["一票否决"]:
        lines.append("  · 一票否决：无")
    return lines


def _adjustment_item_lines(item: dict) -> list[str]:
    """One bonus or deduction: what counts, why it differs from the formula, the formula."""
    cap = f"，上限 {item['上限']}" if "上限" in item else ""
    computed = item["计分"]["value"]
    if computed is None:
        capped = "（缺少数据，按 0 计）"
    elif show(computed) != item["计入"]:
        capped = "（超过上限，按上限计）"
    else:
        capped = ""
    lines = [f"  · {item['类别']} {item['名称']}：计入 {item['计入']}{cap}{capped}"]
    lines += _step_lines(item["计分"], "      ")
    for member in item.get("成员", ()):  # a family's members (families.py)
        lines += _step_lines(member, f"        {member['项']}：")
    return lines


def _result_lines(entry: dict) -> list[str]:
    """The total, the rank in its category, and the tier with the rule that gave it."""
    lines = ["", f"【总分】{entry['总分']['值']}（{entry['总分']['说明']}）"]
    rank = entry["名次"]
    place = f"{rank['范围']} 第 {rank['名次']} 名，共 {rank['人数']} 个单位"
    lines.append(f"【名次】{place}（排序：{rank['排序']}）")
    tier = entry["等次"]
    lines.append(
        f"【等次】{tier['等次']}：等次规则{tier.get('规则', '')}    〔{tier.get('出处', '')}〕"
    )
    for key in ("条件", "前列", "末位"):
        if key in tier:
            lines += _step_lines(tier[key], f"  {key}：")
    if "说明" in tier:
        lines.append(f"  {tier['说明']}")
    return lines


def _label_lines(labels: list[dict]) -> list[str]:
    """The unit's labels (标签), each with how it was reached; nothing if there are none."""
    if not labels:
        return []
    lines = ["【标签】"]
    for label in labels:
        lines.append(f"  · {label['标签']}：{label['值']}    〔{label['出处']}〕")
        if "计分" in label:
            lines += _step_lines(label["计分"], "      ")
        if "说明" in label:
            lines.append(f"      {label['说明']}")
    return lines


def _special_lines(entry: dict) -> list[str]:
    """The special assessments the unit took part in; each contribution's formula is
    shown where it counts (加减分, 标签), so here only its value."""
    lines = []
    for special in entry.get("专项考核", ()):
        rank, tier = special["名次"], special["等次"]
        lines.append(
            f"【专项考核 {special['名称']}】总分 {special['总分']}，第 {rank['名次']} 名，"
            f"共 {rank['人数']} 个单位，等次 {tier['等次']}    〔{special['出处']}〕"
        )
        given = [
            g["类别"] + (f" {g['名称']}" if g["类别"] == "标签" else "") + f" {g['值']}"
            for g in special["计入"]
        ]
        lines.append("  计入综合考核：" + "，".join(given))
        lines.append("")
    return lines


def _step_lines(step: dict, indent: str) -> list[str]:
    text = f"{indent}{step['formula']}"
    result = show(step["value"])
    if step["filled"] not in (step["formula"], result):
        text += f" = {step['filled']}"
    text += f" = {result}"
    return [text + (f"    〔{step['source']}〕" if step["source"] else "")]
