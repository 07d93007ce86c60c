"""One random case as Python values (random_rules.py draws them), written as the files
`kaohe evaluate` reads: 规则集.yaml, 名单.yaml, a file per domain and special assessment,
and the data (a wide 数据.csv, a long 指标值.csv, 历史.csv)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.reference.paths import Source

TIERS = ("第一等次", "第二等次", "第三等次")
GRADES = ("优秀", "良好", "一般")
DATA_ITEMS = {
    "基础分": {"类型": "数值", "最小值": 0, "最大值": 100},
    "表彰数": {"类型": "数值", "最小值": 0},
    "问题数": {"类型": "数值", "最小值": 0},
    "事故": {"类型": "真假"},
    "班子等次": {"类型": "文本", "取值": list(GRADES)},
}
FAMILY = ("表彰_国家级", "表彰_省级")  # members of the 表彰奖励 family, found in the data


@dataclass
class Case:
    """The files of one rule set and its data, as Python values."""

    ruleset: dict
    roster: dict
    domains: dict[str, dict]
    rows: list[dict[str, object]]  # one per unit, in the data file's order
    long: bool  # indicator values in a long 指标值.csv, not in the wide file
    history: list[dict[str, object]] = field(default_factory=list)
    indicators: tuple[str, ...] = ()  # every indicator id the data may give
    specials: dict[str, dict] = field(default_factory=dict)  # 专项考核 files

    def write(self, folder: Path, half: bool = False) -> Source:
        """The rule and data folders under ``folder``."""
        rules, data = folder / "rules", folder / "data"
        rules.mkdir(exist_ok=True)
        data.mkdir(exist_ok=True)
        _yaml(rules / "规则集.yaml", self.ruleset)
        _yaml(rules / "名单.yaml", self.roster)
        for name, document in self.domains.items():
            _yaml(rules / f"{name}.yaml", document)
        if self.specials:
            (rules / "专项").mkdir(exist_ok=True)
        for name, document in self.specials.items():
            _yaml(rules / "专项" / f"{name}.yaml", document)
        self._write_data(data)
        return Source(rules, data, half=half)

    def texts(self, source: Source) -> str:
        """Every file written, for hypothesis to show with a failing case."""
        files = sorted(p for p in [*source.rules.rglob("*"), *source.data.iterdir()] if p.is_file())
        return "\n".join(f"--- {p.name}\n{p.read_text(encoding='utf-8')}" for p in files)

    def features(self) -> list[str]:
        """What the case holds of what the fast path treats apart, for the statistics."""
        domains = list(self.domains.values())
        found = [f"{len(domains)} domains"]
        twins = [d for d in domains[1:] if d["考卷"] == domains[0]["考卷"]]
        found += ["twin domains"] if twins else []
        found += ["一单位一策"] if any("一单位一策" in d for d in domains) else []
        found += ["special assessment"] if self.specials else []
        found += ["gaps in the data"] if any(None in r.values() for r in self.rows) else []
        return found

    def has_half_year(self) -> bool:
        return any("半年目标值" in text for text in map(str, self.domains.values()))

    def _write_data(self, data: Path) -> None:
        items = [*DATA_ITEMS, *(FAMILY if has_family(self) else ())]
        wide = ["编号", "名称", *items, *(() if self.long else self.indicators)]
        _csv(data / "数据.csv", wide, [[_cell(r.get(k)) for k in wide] for r in self.rows])
        if self.long:
            rows = [
                [r["编号"], r["名称"], key, _cell(r[key])]
                for r in self.rows
                for key in self.indicators
                if r.get(key) is not None
            ]
            _csv(data / "指标值.csv", ["编号", "名称", "指标", "值"], rows)
        if self.history:
            header = ["编号", "年度", "等次", "总分", "名次"]
            _csv(data / "历史.csv", header, [[h[k] for k in header] for h in self.history])


class _Dumper(yaml.SafeDumper):
    """Every value written out where it is used: no YAML anchors for shared objects."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _yaml(path: Path, document: dict) -> None:
    text = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(text, encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def has_family(case: Case) -> bool:
    documents = [case.ruleset.get("通用", {}), *case.domains.values()]
    return any("前缀" in str(d.get("加减分", "")) for d in documents)
