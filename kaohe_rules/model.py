"""The rule set as frozen dataclasses: what a year's assessment says, built from valid files.

Expressions are kept as written (``Expr``: text and origin); compiling them is
the next stage's job. Every object carries the span of the YAML that defined it,
so explanations and diagnostics can cite file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import field
from pathlib import Path

from kaohe_rules.dsl.types import NUMBER, TEXT, Type
from kaohe_rules.records import data_record
from kaohe_rules.source import Origin, Span

# What an earlier year's result holds, for history(n) and the history files.
HISTORY_FIELDS: dict[str, Type] = {"等次": TEXT, "总分": NUMBER, "名次": NUMBER}


@data_record
class Expr:
    """An expression as written in a rule file (or generated for a named scoring method)."""

    text: str
    origin: Origin
    span: Span

    def __hash__(self) -> int:
        # Exprs key the rule set's caches and explain's contexts, so every formula run
        # hashes one: worked out once (three nested dataclass hashes otherwise).
        found = self.__dict__.get("_hash")
        if found is None:
            found = hash((self.text, self.origin, self.span))
            object.__setattr__(self, "_hash", found)
        return found

    def __getstate__(self) -> dict:
        # A str hash differs between processes: never carry one across.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


@data_record(slots=True)  # a national study holds millions of them
class Unit:
    """One assessment target (考核对象) of the roster."""

    id: str
    name: str
    domain: str
    attributes: tuple[tuple[str, object], ...]
    span: Span

    def attribute(self, name: str) -> object:
        """The value of a roster attribute, or None."""
        return dict(self.attributes).get(name)


class UnitTable(Sequence[Unit]):
    """A roster's units held as columns, each ``Unit`` made when asked for.

    A roster file of a national study holds a million units; as objects (each with its
    attributes and span) they took most of the memory of an evaluation. Units made here
    equal (==) each other when they are the same row, but are not the same object.
    """

    def __init__(
        self,
        columns: dict[str, Sequence[object]],
        attributes: list[str],
        file: str,
        lines: Sequence[int],
        rows: Sequence[int] | None = None,
    ) -> None:
        self.columns = columns  # unit.编号, unit.名称, unit.领域, unit.<attribute>
        self._attributes = attributes
        self._file, self._lines = file, lines  # the line of each unit of the whole roster
        self.rows = rows  # positions in the whole roster, or None for all of it

    def __len__(self) -> int:
        return len(self.columns["unit.编号"]) if self.rows is None else len(self.rows)

    def __getitem__(self, index: int | slice) -> Unit | tuple[Unit, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        size = len(self)
        if not -size <= index < size:
            raise IndexError(index)
        row = int(index % size if self.rows is None else self.rows[index])
        c = self.columns
        own = tuple(
            (name, c[f"unit.{name}"][row])
            for name in self._attributes
            if c[f"unit.{name}"][row] is not None
        )
        line = int(self._lines[row])
        span = Span(self._file, line, 1, line, 2)
        return Unit(c["unit.编号"][row], c["unit.名称"][row], c["unit.领域"][row], own, span)

    def __iter__(self) -> Iterator[Unit]:
        return (self[i] for i in range(len(self)))

    def take(self, rows: Sequence[int]) -> UnitTable:
        """The units at ``rows`` (positions in this table), as a table of their own."""
        whole = rows if self.rows is None else self.rows[rows]
        return UnitTable(self.columns, self._attributes, self._file, self._lines, whole)

    def column(self, name: str) -> Sequence[object]:
        """One column (``unit.编号`` …) for the units of this table, in their order."""
        column = self.columns[name]
        return column if self.rows is None else column[self.rows]

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def roster_column(units: Sequence[Unit], field: str) -> Sequence:
    """One field (编号, 名称 or 领域) of every unit, without making Unit objects where the
    roster is a UnitTable."""
    if isinstance(units, UnitTable):
        return units.column(f"unit.{field}")
    attribute = {"编号": "id", "名称": "name", "领域": "domain"}[field]
    return [getattr(u, attribute) for u in units]


def take_units(units: Sequence[Unit], rows: Sequence[int]) -> Sequence[Unit]:
    """The units at positions ``rows``: a UnitTable view, or a list."""
    if isinstance(units, UnitTable):
        return units.take(rows)
    return [units[i] for i in rows]


@data_record
class DataItem:
    """A yearly fact the data provide besides indicator values (班子等次, 问题数…)."""

    name: str
    type: Type
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    span: Span | None = None


# The measures of an aggregation over records (记录汇总), Chinese name → model name; the
# English names are accepted too (docs/records.md).
MEASURES = {
    "计数": "count",
    "去重计数": "count_distinct",
    "求和": "sum",
    "平均值": "mean",
    "占比": "share",
    "加权平均": "weighted_mean",
    "最小值": "min",
    "最大值": "max",
    "中位数": "median",
    "分位数": "percentile",
}


@data_record
class Aggregation:
    """A data item or indicator whose values are aggregated from a record file (记录汇总):
    grouped by the unit a column names, after an optional filter, by one measure; with
    ``group_column``, one value per group of records, which ``combine`` makes one."""

    name: str
    file: str  # as written: relative to the data folder
    unit_column: str
    unit_by: str  # 编号 or 名称: what the unit column holds
    measure: str  # a model name of MEASURES
    column: str | None = None  # the measured column (not for count)
    filter: Expr | None = None
    condition: Expr | None = None  # share: the records that count as meeting it
    weights: str | None = None  # weighted mean: the weights column
    percentile: float | None = None  # 0..1
    group_column: str | None = None
    combine: Expr | None = None
    # Where each key was written (键 → span), for messages about a column or a value.
    spans: tuple[tuple[str, Span], ...] = ()
    span: Span | None = None

    def span_of(self, key: str) -> Span | None:
        """Where ``key`` of the declaration was written (its value), else the declaration."""
        return dict(self.spans).get(key, self.span)

    def columns(self) -> tuple[tuple[str, str], ...]:
        """(key, column) for every column the declaration names, in declaration order."""
        keys = (("单位列", self.unit_column), ("列", self.column), ("权重", self.weights))
        found = [*keys, ("分组", self.group_column)]
        return tuple((key, name) for key, name in found if name)


# Scoring methods by their model name, with the Chinese name rule files and reports use;
# "formula" is an indicator scored by its own 计分 expression, not a named method.
METHOD_NAMES = {
    "linear": "线性",
    "steps": "分档",
    "rank": "排名赋分",
    "benchmark": "标杆值",
    "efficacy": "功效系数",
    "formula": "自定义公式",
}


@data_record
class RuleValue:
    """A number a rule file gives an indicator (目标值, 档位 …), where, and whether it was
    written as a percentage ("6.5%"): what the percent-scale check (KH315) compares."""

    name: str
    value: float
    percent: bool
    span: Span | None = None


@data_record
class Indicator:
    """A scored indicator (指标); ``formula`` is its score as an expression."""

    id: str
    name: str
    paper: str
    full: float
    method: str
    formula: Expr
    direction: str = "越高越好"
    unit_of_measure: str = ""
    target: float | None = None
    floor: float | None = None
    ceiling: float | None = None
    thresholds: tuple[float, ...] = ()
    shares: tuple[float, ...] = ()
    rank_step: float | None = None
    rank_minimum: float | None = None
    half_year_target: float | None = None
    half_year_floor: float | None = None  # 半年下限值: used as it is in the half year
    half_year_ceiling: float | None = None  # 半年上限值
    half_year_thresholds: tuple[float, ...] = ()  # 半年档位 of a 分档 indicator
    half_year_formula: Expr | None = None  # its formula with them, for the half year
    benchmark: Expr | None = None  # 标杆值: the benchmark formula, named 标杆 in ``formula``
    lead: str = ""
    owner: str = ""
    missing: str = "记零分"
    span: Span | None = None
    # Every key written for the indicator and where (meaning checks point at them).
    written: tuple[tuple[str, Span], ...] = field(default=(), compare=False, repr=False)
    # The range its values can take (最小值/最大值) and what a value outside is (超出范围:
    # 报错 or 警告; None: the domain's setting); the rule values as written (plausibility.py).
    minimum: float | None = None
    maximum: float | None = None
    out_of_range: str | None = None
    rule_values: tuple[RuleValue, ...] = ()

    def parameters(self) -> dict[str, float | None]:
        """The numeric parameters a formula may use, by their Chinese names."""
        return {
            "满分": self.full,
            "目标值": self.target,
            "下限值": self.floor,
            "上限值": self.ceiling,
            "排名步长": self.rank_step,
            "最低分": self.rank_minimum,
            "半年目标值": self.half_year_target,
            "半年下限值": self.half_year_floor,
            "半年上限值": self.half_year_ceiling,
        }


@data_record
class Paper:
    """A paper (考卷) with its weight, scored by a formula or by its indicators."""

    id: str
    name: str
    weight: float
    formula: Expr | None = None
    indicators: tuple[Indicator, ...] = ()
    rescale: bool = False
    span: Span | None = None


@data_record
class Family:
    """An open family of bonus or deduction items: every data item whose name starts with
    ``prefix`` is a member, scored by the item's formula (每项) with 值 the member's value."""

    prefix: str
    span: Span | None = None


@data_record
class Adjustment:
    """A bonus (加分) or deduction (扣分) item with an optional cap; for a family
    (``family``), ``formula`` is its 每项, run once per member and summed (families.py)."""

    id: str
    name: str
    formula: Expr
    cap: float | None = None
    span: Span | None = None
    family: Family | None = None
    cap_span: Span | None = field(default=None, compare=False, repr=False)  # its 上限 key


@data_record
class Adjustments:
    """Bonus and deduction items, their overall caps, and veto conditions."""

    bonuses: tuple[Adjustment, ...] = ()
    bonus_cap: float | None = None
    deductions: tuple[Adjustment, ...] = ()
    deduction_cap: float | None = None
    vetoes: tuple[tuple[str, Expr], ...] = ()
    # Where 加分上限 and 扣分上限 are written, by key.
    caps_at: tuple[tuple[str, Span], ...] = field(default=(), compare=False, repr=False)


@data_record
class SortKey:
    """One key of the ranking order."""

    expr: Expr
    descending: bool = True


@data_record
class Ranking:
    """What units are ranked by, and how ties are broken."""

    key: SortKey
    tiebreak: tuple[SortKey, ...] = ()
    scope: str = "类别"


@data_record
class TierRule:
    """One rule of the ordered tier list; the first rule that places a unit wins."""

    tier: str
    condition: Expr | None = None
    top: Expr | None = None
    bottom: Expr | None = None
    unless: Expr | None = None
    span: Span | None = None

    @property
    def is_default(self) -> bool:
        """A rule with no condition and no quota places every unit still unplaced."""
        return not (self.condition or self.top or self.bottom or self.unless)


@data_record
class Tiers:
    """The ordered tier rules and how vetoed units count against the bottom quota."""

    rules: tuple[TierRule, ...]
    veto_takes_bottom: bool = True


@data_record
class Label:
    """A derived label (先进单位) or value (绩效系数) per unit."""

    name: str
    expr: Expr
    span: Span | None = None


@data_record
class Variant:
    """一单位一策: one unit's dropped, added and re-parameterised indicators."""

    unit: str
    drop: tuple[str, ...] = ()
    add: tuple[Indicator, ...] = ()
    changes: tuple[tuple[str, str, float, Span], ...] = ()  # (target, parameter, value, span)
    span: Span | None = None
    rule_values: tuple[RuleValue, ...] = ()  # the changes as written, named "指标.参数"


@data_record
class ProblemRule:
    """问题清单: a problem is a score share below ``share`` of full marks, or a place
    among the last ``last`` units of the category on that indicator (0: not used)."""

    share: float = 0.6
    last: int = 0


@data_record
class Category:
    """A category (类别, "track") and the condition that puts a unit in it."""

    name: str
    condition: Expr


@data_record
class Domain:
    """One domain (领域) of the assessment, with all its rules."""

    name: str
    categories: tuple[Category, ...]
    papers: tuple[Paper, ...]
    total: float = 100.0
    missing: str = "记零分"
    data_items: tuple[DataItem, ...] = ()
    adjustments: Adjustments = field(default_factory=Adjustments)
    ranking: Ranking | None = None
    tiers: Tiers | None = None
    labels: tuple[Label, ...] = ()
    variants: tuple[Variant, ...] = ()
    problems: ProblemRule = field(default_factory=ProblemRule)
    span: Span | None = None
    out_of_range: str = "报错"  # 超出范围: an indicator value outside its declared range

    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator of every paper, in file order."""
        return tuple(i for paper in self.papers for i in paper.indicators)

    def added_indicators(self) -> tuple[Indicator, ...]:
        """The indicators 一单位一策 adds for single units."""
        return tuple(a for variant in self.variants for a in variant.add)

    def all_indicators(self) -> tuple[Indicator, ...]:
        """The papers' indicators and those variants add."""
        return self.indicators() + self.added_indicators()

    def all_ids(self) -> tuple[str, ...]:
        """The ids of every indicator, added ones included."""
        return tuple(i.id for i in self.all_indicators())


@data_record
class Contribution:
    """What a special assessment gives a unit of the comprehensive assessment: a bonus
    (加分) or deduction (扣分) item, a veto (一票否决), or a label (标签) named ``name``."""

    kind: str
    name: str
    expr: Expr
    cap: float | None = None
    span: Span | None = None


@data_record
class Special:
    """A special assessment (专项考核): a small assessment over the units ``members``
    selects, scored like a domain, whose results feed the units' own domains."""

    name: str
    members: Expr
    domain: Domain
    contributions: tuple[Contribution, ...]
    span: Span | None = None


@data_record
class RuleSet:
    """A year's whole assessment."""

    year: int
    name: str
    folder: Path
    precision: int
    attributes: tuple[tuple[str, Type], ...]
    units: Sequence[Unit]  # a tuple, or a UnitTable for a roster file
    data_items: tuple[DataItem, ...]
    domains: tuple[Domain, ...]
    files: tuple[Path, ...] = ()
    specials: tuple[Special, ...] = ()
    unknown_data: str = "报错"  # 未知数据: data naming what the rules do not know (unknown_data.py)
    aggregations: tuple[Aggregation, ...] = ()  # 记录汇总: values aggregated from records
    # Each of ``files`` -> (resolved path, SHA-256) as loaded, for the fingerprint.
    digests: tuple[tuple[Path, tuple[Path, str]], ...] = field(
        default=(), compare=False, repr=False
    )

    def scored(self) -> tuple[Domain, ...]:
        """The domains and the special assessments' own rules: everything scored."""
        return self.domains + tuple(s.domain for s in self.specials)

    def special(self, name: str) -> Special | None:
        """The special assessment called ``name``, or None."""
        return next((s for s in self.specials if s.name == name), None)

    def domain(self, name: str) -> Domain | None:
        """The domain called ``name``, or None."""
        return next((d for d in self.domains if d.name == name), None)

    def units_of(self, domain: str) -> tuple[Unit, ...]:
        """The roster's units of one domain, in roster order (a Unit made for each: for
        scripts over small rosters, not for the engine's checks)."""
        return tuple(u for u in self.units if u.domain == domain)


# Open families of bonus and deduction items (前缀 and 每项): which items are families,
# and which names a family sums. Read by the checks, the data reader and scoring.
def family_items(domain: Domain) -> list[tuple[str, Adjustment]]:
    """The domain's family items, with 加分 or 扣分."""
    adjust = domain.adjustments
    return [
        (kind, item)
        for kind, items in (("加分", adjust.bonuses), ("扣分", adjust.deductions))
        for item in items
        if item.family is not None
    ]


def family_prefixes(ruleset: RuleSet) -> tuple[str, ...]:
    """Every family prefix of the rule set: data names with one are members, not unknown."""
    return tuple(
        dict.fromkeys(item.family.prefix for d in ruleset.scored() for _k, item in family_items(d))
    )


def family_members(ruleset: RuleSet, domain: Domain, prefix: str, data_names) -> list[str]:
    """The names a family with ``prefix`` sums, in name order: declared data items and
    names given in the data, indicators excepted."""
    declared = [item.name for item in (*ruleset.data_items, *domain.data_items)]
    indicators = {i.id for d in ruleset.scored() for i in d.all_indicators()}
    found = {*declared, *data_names}
    return sorted(n for n in found if n.startswith(prefix) and n not in indicators)
