"""A hypothesis strategy for small but varied rule sets and their data, written as files.

A case has 1-3 domains of 1-10 units, each with categories, 1-3 papers (a formula, a
sum of indicators, or 折算) and indicators scored by every method the language offers
(线性 and 功效系数 either way, 分档 rising or falling, 排名赋分, 标杆值, and 计分 formulas,
some elementwise, some reading a data item or a cohort function), so that indicators
sharing a formula (a batch) and indicators that cannot share one meet in one paper.
Around them: missing-data policies (记零分, 剔除折算, 报错) per domain and per indicator,
一单位一策 (a changed target, a dropped indicator replaced, an added one, marks or paper
weights moved), bonus and deduction items with caps, a family of items, vetoes, ranks
within categories or domains, tiers with 前列/末位 quotas and labels, history, half-year
targets. A second domain is often a twin of the first (the same rules under another
name), which the fast path scores in one pass today.

The data come from random_data.py; case.py writes the files.
"""

from __future__ import annotations

import copy
import itertools

from hypothesis import strategies as st

from tests.reference.case import DATA_ITEMS, Case
from tests.reference.random_data import MEMBERS, data

DOMAINS = ("甲", "乙", "丙")
LETTERS = {"甲": "J", "乙": "Y", "丙": "B"}
PARAMETERS = (0, 1, 2, 3, 5, 10, 20, 50, 60, 80, 90, 100)  # targets, floors, ceilings
POLICIES = ("记零分", "记零分", "剔除折算", "剔除折算", "报错")
WEIGHTS = ((100,), (40, 60), (30, 70), (50, 50), (20, 30, 50), (10, 40, 50))

# 计分 formulas: text, the parameters they read, and whether they keep twins apart (a
# cohort function). Several indicators drawing one text make a batch when elementwise.
FORMULAS = (
    ("满分 * linear(值, 下限值, 目标值)", ("目标值", "下限值"), False),
    ("满分 * clamp(值 / 目标值, 0, 1)", ("目标值",), False),
    ("if 值 >= 目标值 then 满分 else 满分 * 50%", ("目标值",), False),
    ("满分 * min(值 / 100, 1)", (), False),
    ("max(满分 - abs(值 - 目标值), 0)", ("目标值",), False),
    ("满分 * steps(值, [50, 80], [50%, 100%])", (), False),
    ("round_half_up(满分 * linear(值, 下限值, 目标值), 1)", ("目标值", "下限值"), False),
    ("coalesce(满分 * linear(值, 下限值, 目标值), 0)", ("目标值", "下限值"), False),
    ("满分 * linear(值, 下限值, 目标值) * (if 事故 then 0 else 1)", ("目标值", "下限值"), False),
    ("满分 * percentile(值)", (), True),
    ("满分 * 值 / group_max(值)", (), True),
    ("min(值 * 值 * 值, 满分)", (), False),  # overflows at the extreme values
    ("满分", (), False),  # one constant for every unit
)
LABELS = {
    "先进单位": '等次 == "第一等次" and 班子等次 == "优秀"',
    "绩效系数": {"值": '如果 等次 == "第一等次" 则 1.2 否则 如果 等次 == "第二等次" 则 1 否则 0.8'},
    "高分": "总分 >= 80",
    "连续优秀": '等次 == "第一等次" and coalesce(history(1).等次, "") == "第一等次"',
    "评语": 'if 否决 then "否决" else "正常"',
    # One name: the fast path reads the column itself instead of evaluating it.
    "基础": "基础分",
    "班子": "班子等次",
    "出事": "事故",
}


# -- indicators ---------------------------------------------------------------------------
@st.composite
def indicator(draw, full: float, apart: bool, half: bool) -> dict:
    """One indicator of ``full`` marks; ``apart``: no cohort function (twins stay twins)."""
    methods = ["线性"] * 4 + ["功效系数", "分档", "计分", "计分"]
    methods += [] if apart else ["排名赋分", "标杆值"]
    method = draw(st.sampled_from(methods))
    spec: dict = {"满分": full}
    if method in ("线性", "功效系数"):
        spec.update(draw(_linear(method)))
    elif method == "分档":
        spec.update(draw(_steps()))
    elif method == "排名赋分":
        spec.update(draw(_rank(full)))
    elif method == "标杆值":
        spec["计分方法"] = "标杆值"
        if draw(st.booleans()):
            spec["方向"] = "越低越好"
        if draw(st.booleans()):
            spec["标杆"] = draw(st.sampled_from(["80", "基础分", "group_min(值) + 1"]))
    else:
        spec.update(draw(_formula(apart)))
    if draw(st.integers(0, 4)) == 0:
        spec["缺失数据"] = draw(st.sampled_from(POLICIES))
    # In the half year an indicator counts by its 半年目标值, whatever its method. (Not
    # beside a target of 0: the year's floor or ceiling is scaled by the two's ratio.)
    target = spec.get("目标值")
    if half and target != 0 and draw(st.integers(0, 3)):
        halves = [target, target / 2] if target else [5, 50]
        spec["半年目标值"] = draw(st.sampled_from(halves))
    return spec


@st.composite
def _linear(draw, method: str) -> dict:
    lower = draw(st.integers(0, 3)) == 0
    target = draw(st.sampled_from(PARAMETERS[:-1] if lower else PARAMETERS[1:]))
    if lower:
        start = ("上限值", draw(st.sampled_from([p for p in PARAMETERS if p > target])))
    else:
        start = ("下限值", draw(st.sampled_from([p for p in PARAMETERS if p < target])))
    spec = {"计分方法": method, "目标值": target, start[0]: start[1]}
    return {"方向": "越低越好", **spec} if lower else spec


@st.composite
def _steps(draw) -> dict:
    count = draw(st.integers(1, 3))
    # Distinct values as the start of a permutation: a unique list of a fixed size
    # rejects draws, and hypothesis gives up on a case after too many.
    thresholds = sorted(draw(st.permutations(PARAMETERS))[:count])
    shares = sorted(draw(st.permutations([0.2, 0.5, 0.6, 0.8, 1]))[:count])
    falling = draw(st.booleans())
    return {
        "计分方法": "分档",
        "档位": thresholds[::-1] if falling else thresholds,
        "得分率": shares,
    }


@st.composite
def _rank(draw, full: float) -> dict:
    spec = {"计分方法": "排名赋分", "排名步长": draw(st.sampled_from([0.5, 1, 2]))}
    if draw(st.booleans()):
        spec["最低分"] = min(full, draw(st.sampled_from([0, 1, 2])))
    if draw(st.booleans()):
        spec["排名范围"] = draw(st.sampled_from(["类别", "领域"]))
    return spec


@st.composite
def _formula(draw, apart: bool) -> dict:
    text, reads, _cohort = draw(st.sampled_from([f for f in FORMULAS if not (apart and f[2])]))
    spec: dict = {"计分": text}
    if "目标值" in reads:
        spec["目标值"] = draw(st.sampled_from(PARAMETERS))
    if "下限值" in reads:  # may equal the target: linear() then warns KH162
        spec["下限值"] = draw(st.sampled_from([p for p in PARAMETERS if p <= spec["目标值"]]))
    return spec


# -- papers and domains -------------------------------------------------------------------
@st.composite
def papers(draw, ids: list[int], apart: bool, half: bool) -> dict:
    """The domain's papers; ``ids`` counts indicator ids across the rule set."""
    found = {}
    weights = draw(st.sampled_from(WEIGHTS))
    for number, weight in enumerate(weights, start=1):
        kind = draw(st.sampled_from(["指标", "指标", "指标", "折算", "计分"]))
        paper: dict = {"权重": weight}
        if kind == "计分":
            paper["计分"] = draw(
                st.sampled_from(
                    ["基础分 / 100 * 权重", "coalesce(基础分, 0) / 100 * 权重", "基础分"]
                )
            )
        else:
            marks = draw(_marks(weight, kind == "折算"))
            if kind == "折算":
                paper["折算"] = True
            paper["指标"] = {}
            for full in marks:
                ids[0] += 1
                paper["指标"][f"指标{ids[0]}"] = draw(indicator(full, apart, half))
        found[f"卷{number}"] = paper
    return found


@st.composite
def _marks(draw, weight: int, rescaled: bool) -> list[int]:
    count = draw(st.integers(1, 5))
    if rescaled:
        return draw(st.lists(st.sampled_from([0, 5, 10, 20]), min_size=count, max_size=count))
    cuts = draw(st.lists(st.integers(1, weight - 1), max_size=count - 1, unique=True))
    edges = [0, *sorted(cuts), weight]
    return [b - a for a, b in itertools.pairwise(edges)]


@st.composite
def categories(draw) -> dict:
    return draw(
        st.sampled_from(
            [
                {"全部": 'unit.规模 == "大" or unit.规模 == "小"'},
                {"大": 'unit.规模 == "大"', "小": 'unit.规模 == "小"'},
                {"山区": "unit.山区", "平原": "not unit.山区"},
                # Warns KH160 (missing or true is true): kept with the cached categories.
                {"全部": 'count() / 0 > 1 or unit.规模 == "大" or unit.规模 == "小"'},
            ]
        )
    )


@st.composite
def adjustments(draw, apart: bool = False) -> dict:
    """Items, caps and vetoes; with ``apart``, no family (its members are found in the
    data, domain by domain: twins stay apart)."""
    found: dict = {}
    bonuses = {
        "表彰": {"计分": "表彰数 * 0.5", "上限": 2},
        "优秀": {"计分": "if 基础分 >= 90 then 1 else 0"},
    }
    deductions = {"问题": {"计分": "问题数 * 0.5", "上限": 3}, "问题多": {"计分": "min(问题数, 4)"}}
    vetoes = {"事故": "事故", "问题过多": "问题数 > 8"}
    chosen = draw(st.lists(st.sampled_from(sorted(bonuses)), unique=True))
    if chosen or draw(st.integers(0, 3)) == 0:
        found["加分"] = {k: bonuses[k] for k in chosen}
        if not apart and draw(st.integers(0, 3)) == 0:
            found["加分"]["表彰奖励"] = {"前缀": "表彰_", "每项": "值 * 0.5", "上限": 2}
        if draw(st.booleans()):
            found["加分上限"] = draw(st.sampled_from([1, 3]))
    chosen = draw(st.lists(st.sampled_from(sorted(deductions)), unique=True))
    if chosen:
        found["扣分"] = {k: deductions[k] for k in chosen}
        if draw(st.booleans()):
            found["扣分上限"] = draw(st.sampled_from([2, 5]))
    chosen = draw(st.lists(st.sampled_from(sorted(vetoes)), unique=True))
    if chosen:
        found["一票否决"] = {k: vetoes[k] for k in chosen}
    return found


@st.composite
def ranking(draw, apart: bool = False) -> dict:
    """依据 and 并列时; in the domain now and then (not with ``apart``: twins rank
    within their categories)."""
    found: dict = {}
    if draw(st.booleans()):
        found["依据"] = "总分"
    if draw(st.booleans()):
        found["并列时"] = [
            {"依据": "基础分", "顺序": "降序"},
            {"依据": "unit.编号", "顺序": "升序"},
        ]
    if not apart and draw(st.integers(0, 3)) == 0:
        found["范围"] = "领域"
    return found


@st.composite
def tiers(draw) -> dict:
    """第一 and 第三等次 always, so the labels may name them; quotas of 人数."""
    bottom = draw(st.sampled_from(["round_half_up(人数 * 10%)", "round_half_up(人数 * 25%)",
                                   "ceil(人数 * 20%)", "1"]))  # fmt: skip
    top = draw(st.sampled_from(["floor(人数 * 30%)", "round_half_up(人数 * 8%)",
                                "round_half_up(人数 * 50%)", "人数 * 30%"]))  # fmt: skip
    rules = []
    if draw(st.integers(0, 3)):
        rules.append({"等次": "第三等次", "条件": "否决"})
    third = {"等次": "第三等次", "末位": bottom}
    first = {"等次": "第一等次", "前列": top}
    if draw(st.booleans()):
        first["除非"] = "否决"
    rules += [first, third] if draw(st.booleans()) else [third, first]
    rules.append({"等次": "第二等次"})
    found: dict = {"规则": rules}
    if draw(st.booleans()):
        found["否决占末位名额"] = draw(st.booleans())
    return found


@st.composite
def labels(draw) -> dict:
    chosen = draw(st.lists(st.sampled_from(sorted(LABELS)), unique=True, max_size=3))
    return {name: LABELS[name] for name in chosen}


@st.composite
def variants(draw, domain: dict, units: list[str]) -> dict:
    """一单位一策 for 1-2 units: each keeps every paper's marks summing to its weight."""
    found = {}
    for unit in draw(st.lists(st.sampled_from(units), min_size=1, max_size=2, unique=True)):
        variant: dict = {}
        for _ in range(draw(st.integers(1, 2))):
            draw(_change(domain, variant))
        if variant:
            found[unit] = variant
    return found


@st.composite
def _change(draw, domain: dict, variant: dict) -> None:
    """One change to ``variant``, drawn among those the domain's papers allow."""
    choices = _changes(domain, variant)
    if not choices:
        return
    kind, pid, iid = draw(st.sampled_from(choices))
    paper = domain["考卷"][pid]
    adjust = variant.setdefault("调整", {})
    if kind == "目标值":
        spec = paper["指标"][iid]
        lower = spec.get("方向") == "越低越好"
        start = spec["上限值"] if lower else spec["下限值"]
        better = [p for p in PARAMETERS if (p < start if lower else p > start)]
        adjust[f"{iid}.目标值"] = draw(st.sampled_from(better))
    elif kind == "满分":
        adjust[f"{iid}.满分"] = draw(st.sampled_from([0, 5, 15]))
    elif kind == "移分":  # its marks go to another indicator of the paper
        variant.setdefault("删除指标", []).append(iid)
        touched = _touched(variant)
        other = draw(st.sampled_from([k for k in paper["指标"] if k not in touched]))
        adjust[f"{other}.满分"] = paper["指标"][other]["满分"] + paper["指标"][iid]["满分"]
    elif kind == "权重":  # 5 points from another paper that needs no sum of marks
        adjust[f"{pid}.权重"] = paper["权重"] + 5
        adjust[f"{iid}.权重"] = domain["考卷"][iid]["权重"] - 5
    else:
        if kind == "替换":
            variant.setdefault("删除指标", []).append(iid)
        full = paper["指标"][iid]["满分"] if kind == "替换" else 10
        # Few names: units adding one indicator share its scoring when it is written
        # alike. One paper per added id (KH220): the paper's id is part of the name.
        taken = {i for added in variant.get("新增指标", {}).values() for i in added}
        name = draw(
            st.sampled_from([n for n in (f"{pid}新增{k}" for k in "甲乙丙") if n not in taken])
        )
        method = draw(st.sampled_from(["线性", "线性", "功效系数"]))
        added = {
            "满分": full,
            "计分方法": method,
            "目标值": 80,
            "下限值": draw(st.sampled_from([0, 50])),
        }
        variant.setdefault("新增指标", {}).setdefault(pid, {})[name] = added
    if not adjust:
        del variant["调整"]


def _changes(domain: dict, variant: dict) -> list[tuple[str, str, str | None]]:
    """The changes ``variant`` may take next: (kind, paper, indicator or other paper).
    An indicator or a paper is changed or dropped once (KH227 refuses a change to a
    dropped indicator)."""
    touched = _touched(variant)
    choices = []
    for pid, paper in domain["考卷"].items():
        indicators = [k for k in paper.get("指标", {}) if k not in touched]
        for iid in indicators:
            if paper["指标"][iid].get("计分方法") in ("线性", "功效系数"):
                choices.append(("目标值", pid, iid))
            choices.append(("替换", pid, iid))
            if paper.get("折算"):
                choices.append(("满分", pid, iid))
            elif len(indicators) > 1:
                choices.append(("移分", pid, iid))
        if paper.get("折算"):
            choices.append(("新增", pid, None))
        free = [q for q in _free(domain) if q not in touched]
        if pid in free:
            choices += [("权重", pid, other) for other in free if other != pid]
    return choices


def _touched(variant: dict) -> set[str]:
    """The indicators and papers ``variant`` already drops or changes."""
    return {*variant.get("删除指标", []), *(k.split(".")[0] for k in variant.get("调整", {}))}


def _free(domain: dict) -> list[str]:
    """Papers whose weight may change alone: a formula or 折算, of 10 points or more."""
    return [
        pid
        for pid, paper in domain["考卷"].items()
        if ("计分" in paper or paper.get("折算")) and paper["权重"] >= 10
    ]


@st.composite
def domain(draw, name: str, ids: list[int], apart: bool, half: bool, common: dict) -> dict:
    """A domain file; what ``common`` (the rule set's 通用) leaves out, it writes itself."""
    document: dict = {"领域": name, "类别": draw(categories())}
    if "缺失数据" not in common or draw(st.integers(0, 3)) == 0:
        document["缺失数据"] = draw(st.sampled_from(POLICIES))
    document["考卷"] = draw(papers(ids, apart, half))
    for key, strategy in (("加减分", adjustments(apart)), ("排名", ranking(apart)),
                          ("等次", tiers()), ("标签", labels())):  # fmt: skip
        if key not in common:
            document[key] = draw(strategy)
    return document


@st.composite
def common(draw, apart: bool) -> dict:
    """The rule set's 通用: each setting there or in every domain file."""
    found: dict = {}
    if draw(st.booleans()):
        found["缺失数据"] = draw(st.sampled_from(POLICIES))
    for key, strategy in (("加减分", adjustments(apart)), ("排名", ranking(apart)),
                          ("等次", tiers()), ("标签", labels())):  # fmt: skip
        if draw(st.integers(0, 2)):
            found[key] = draw(strategy)
    return found


@st.composite
def units(draw, name: str) -> list[dict]:
    count = draw(st.integers(1, 10))
    return [
        {
            "编号": f"{LETTERS[name]}{k:02d}",
            "名称": f"{name}{k}",
            "领域": name,
            "规模": draw(st.sampled_from(["大", "小"])),
            "山区": draw(st.booleans()),
        }
        for k in range(1, count + 1)
    ]


@st.composite
def rule_sets(draw) -> Case:
    """A rule set of 1-3 domains, the second often a twin of the first, and its data."""
    half = draw(st.booleans())
    count = draw(st.integers(1, 3))
    twin = count > 1 and draw(st.integers(0, 2)) > 0
    # Twins mostly as the fast path fuses them: no cohort function, no family, ranks
    # within categories.
    apart = twin and draw(st.integers(0, 3)) > 0
    shared = draw(common(apart))
    ids = [0]
    domains: dict[str, dict] = {}
    roster: list[dict] = []
    for index, name in enumerate(DOMAINS[:count]):
        members = draw(units(name))
        roster += members
        if twin and index == 1:
            domains[name] = _twin(domains[DOMAINS[0]], name, draw(st.booleans()))
            continue
        document = draw(domain(name, ids, apart and index == 0, half, shared))
        if not (twin and index == 0) and draw(st.integers(0, 2)) == 0:
            document["一单位一策"] = draw(variants(document, [u["名称"] for u in members]))
        domains[name] = document
    ruleset = {
        "年度": 2024,
        "名称": "随机规则集",
        "精度": draw(st.sampled_from([0, 2, 4])),
        "名单": "名单.yaml",
        "数据项": DATA_ITEMS,
        "领域": {name: f"{name}.yaml" for name in domains},
    }
    if shared:
        ruleset["通用"] = shared
    case = Case(
        ruleset, {"属性": {"规模": "文本", "山区": "真假"}, "单位": roster}, domains, [], False
    )
    if not twin and draw(st.integers(0, 2)) == 0:  # (twins are not fused beside one)
        case.specials = {"专项": draw(special(ids))}
        ruleset["专项考核"] = {"专项": "专项/专项.yaml"}
    # Twins are fused only when no unit misses a value: mostly so.
    draw(data(case, clean=twin and draw(st.integers(0, 2)) > 0))
    return case


CONTRIBUTIONS = {
    "加分": {"计分": '如果 等次 == "优秀" 则 0.5 否则 0'},
    "扣分": {"计分": "if 总分 < 60 then 1 else 0", "上限": 1},
    "一票否决": "总分 < 20",
    "标签": {"专项优秀": '等次 == "优秀"'},
}


@st.composite
def special(draw, ids: list[int]) -> dict:
    """A 专项考核 across the domains, scored first, fed to the units' domains."""
    chosen = draw(st.lists(st.sampled_from(sorted(CONTRIBUTIONS)), min_size=1, unique=True))
    document = {"专项考核": "专项", "对象": draw(st.sampled_from(sorted(MEMBERS)))}
    if draw(st.booleans()):
        document["类别"] = draw(categories())
    document["缺失数据"] = draw(st.sampled_from(POLICIES))
    document["考卷"] = draw(papers(ids, apart=False, half=False))
    document["等次"] = {
        "规则": [
            {"等次": "优秀", "前列": "round_half_up(人数 * 30%)", "除非": "总分 < 60"},
            {"等次": "良好"},
        ]
    }
    document["计入综合考核"] = {key: CONTRIBUTIONS[key] for key in chosen}
    return document


def _twin(document: dict, name: str, renamed: bool) -> dict:
    """The same rules under another name (and, if ``renamed``, other category names)."""
    twin = copy.deepcopy(document)
    twin["领域"] = name
    if renamed:
        twin["类别"] = {f"{key}组": value for key, value in twin["类别"].items()}
    return twin
