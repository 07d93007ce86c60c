"""A DataSet holds each domain's units together (DataSet.order), so a domain's values are
a slice of each column. The layout must change nothing: a roster listed out of domain
order gives, with it, every number, warning and explanation the roster order gives.

The roster is rules/2023's with its units dealt out across domains (one from each in
turn); the data are samples/2023 with a stray value (an indicator of another domain,
KH314) and a unit with no values at all (KH306), both named by unit in the warnings."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from kaohe_rules import model as m
from kaohe_rules.outputs.explain import explain, render_text
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT


def _dealt(tmp_path: Path) -> tuple[Path, Path]:
    rules, data = tmp_path / "rules", tmp_path / "data"
    shutil.copytree(ROOT / "rules" / "2023", rules)
    shutil.copytree(ROOT / "samples" / "2023", data)
    roster = rules / "名单.yaml"
    lines = roster.read_text(encoding="utf-8").splitlines()
    units = [i for i, line in enumerate(lines) if line.startswith("  - {编号:")]
    by_domain: dict[str, list[str]] = {}
    for i in units:
        domain = lines[i].split("领域: ")[1].split(",")[0]
        by_domain.setdefault(domain, []).append(lines[i])
    dealt = []
    while any(by_domain.values()):
        for queue in by_domain.values():
            if queue:
                dealt.append(queue.pop(0))
    kept = [line for i, line in enumerate(lines) if i not in set(units)]
    roster.write_text("\n".join(kept + dealt) + "\n", encoding="utf-8")
    values = data / "指标值.csv"
    rows = values.read_text(encoding="utf-8").splitlines()
    # 西湖区 loses every value; 淳安县 (市县) gets one of an indicator 市县 does not have.
    rows = [r for r in rows if not r.startswith("330106,")]
    rows.append("330127,淳安县,重大项目投资完成率,0.9")
    values.write_text("\n".join(rows) + "\n", encoding="utf-8")
    yearly = data / "年度数据.csv"
    lines = yearly.read_text(encoding="utf-8").splitlines()
    yearly.write_text(
        "\n".join(r for r in lines if not r.startswith("330106,")) + "\n", encoding="utf-8"
    )
    return rules, data


def _roster_order(cls, ruleset: m.RuleSet) -> DataSet:
    """DataSet.empty as it was: columns in roster order."""
    ids = m.roster_column(ruleset.units, "编号")
    return cls(dict(zip(ids, range(len(ids)), strict=True)), present=np.zeros(len(ids), bool))


def _everything(evaluation) -> list:
    out = []
    for d in evaluation.domains:
        scores = {k: np.nan_to_num(v, nan=-1.0).tolist() for k, v in d.scores.items()}
        papers = {k: v.tolist() for k, v in d.papers.items()}
        out.append((d.domain.name, [u.id for u in d.units], scores, papers))
        out.append((d.total.tolist(), d.rank.tolist(), d.tier.tolist()))
    warnings = [(w.code, w.message, str(w.span)) for w in evaluation.warnings]
    units = [u for d in evaluation.domains for u in d.units][::37]
    texts = [render_text(explain(evaluation, u.id)) for u in units]
    return [out, warnings, texts]


@pytest.fixture(scope="module")
def dealt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _dealt(tmp_path_factory.mktemp("layout"))


def test_the_dealt_roster_is_laid_out_by_domain(dealt) -> None:
    rules, data = dealt
    resolved = load_rules(rules).resolved
    values = read_data(data, resolved.ruleset)
    assert values.order is not None  # not vacuous: the units had to be moved
    domains = m.roster_column(resolved.ruleset.units, "领域")
    laid = [domains[i] for i in values.order]
    changes = sum(a != b for a, b in itertools.pairwise(laid))
    assert changes == len(set(domains)) - 1  # each domain's units lie together
    for domain in resolved.ruleset.domains:
        rows = np.flatnonzero(np.asarray(domains, dtype=object) == domain.name)
        assert isinstance(values.positions(rows), slice)


def test_the_layout_changes_nothing(dealt, monkeypatch) -> None:
    rules, data = dealt
    resolved = load_rules(rules).resolved
    grouped = evaluate_year(resolved, read_data(data, resolved.ruleset))
    codes = {w.code for w in grouped.warnings}
    assert {"KH306", "KH314"} <= codes
    absent = [w for w in grouped.warnings if "没有任何值" in w.message]
    assert absent and "西湖区" in absent[0].message
    stray = [w for w in grouped.warnings if w.code == "KH314"]
    assert stray and "淳安县" in stray[0].message
    got = _everything(grouped)
    monkeypatch.setattr(DataSet, "empty", classmethod(_roster_order))
    fresh = load_rules(rules).resolved
    plain = evaluate_year(fresh, read_data(data, fresh.ruleset))
    assert got == _everything(plain)
