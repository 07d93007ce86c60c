"""Ranks, ties, quotas and rounding: the same tiers on every run, and 精度 decides ties.

Fixture ``fixtures/precision``: five units, two papers (甲卷, 乙卷), 精度 4, ties broken
by 乙卷 descending and then by unit id; 前列 floor(5 × 20%) = 1 first tier, 末位
round_half_up(5 × 30%) = 2 third tiers. ``data_tie`` has totals that differ only in the
10th decimal; ``data_apart`` has them differ above the precision.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.safety.helpers import FIXTURES, GOLDEN_DATA, GOLDEN_RULES, run_kaohe

PRECISION = FIXTURES / "precision"
HEADER = "编号,甲分,乙分\n"


@pytest.fixture(scope="module")
def loaded():
    return load_rules(PRECISION / "rules")


def _results(loaded, data: Path) -> dict[str, tuple[int, str]]:
    evaluation = evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset))
    return {
        unit.id: (int(d.rank[i]), d.tier[i])
        for d in evaluation.domains
        for i, unit in enumerate(d.units)
    }


TIE = {
    "U2": (1, "第一等次"),  # 80 but 乙卷 50: wins the tie with U1 (80.0000000001)
    "U1": (2, "第二等次"),
    "U3": (3, "第二等次"),  # 70, tied with U4 (70.00000000004) on 总分 and 乙卷: id decides
    "U4": (4, "第三等次"),  # the bottom quota of 2 takes U4, not U3
    "U5": (5, "第三等次"),
}
APART = {
    "U1": (1, "第一等次"),  # 80.001 > 80: no tie, 乙卷 is not consulted
    "U2": (2, "第二等次"),
    "U4": (3, "第二等次"),  # 70.001 > 70
    "U3": (4, "第三等次"),
    "U5": (5, "第三等次"),
}


def test_totals_differing_in_the_10th_decimal_tie_and_the_chain_decides(loaded):
    assert _results(loaded, PRECISION / "data_tie") == TIE


def test_totals_differing_above_the_precision_do_not_tie(loaded):
    assert _results(loaded, PRECISION / "data_apart") == APART


@pytest.mark.parametrize(
    ("delta", "tied"),
    [
        ("0.0000000001", True),  # 1e-10
        ("0.00004", True),  # rounds to 80.0000 at 4 digits
        ("0.00005", False),  # a half rounds up: 80.0001 (decimal semantics, not 80.00004999…)
        ("0.001", False),
    ],
)
def test_precision_decides_what_is_a_tie(loaded, tmp_path, delta, tied):
    """U1 = 80 + delta against U2 = 80 (U2 has the better 乙卷): tie ⇔ equal at 4 digits."""
    (tmp_path / "数据.csv").write_text(
        HEADER + f"U1,{40 + float(delta)!r},40\nU2,30,50\nU3,35,35\nU4,35,35\nU5,10,10\n",
        encoding="utf-8",
    )
    results = _results(loaded, tmp_path)
    first = "U2" if tied else "U1"
    assert results[first] == (1, "第一等次")


def test_same_tiers_on_every_run_and_any_row_order(loaded, tmp_path):
    """Twenty runs, each with the data rows in another order: the same ranks and tiers."""
    lines = (PRECISION / "data_tie" / "数据.csv").read_text(encoding="utf-8").splitlines()
    head, rows = lines[:3], lines[3:]
    shuffler = random.Random(20240601)
    for run in range(20):
        shuffler.shuffle(rows)
        folder = tmp_path / str(run)
        folder.mkdir()
        (folder / "数据.csv").write_text("\n".join(head + rows) + "\n", encoding="utf-8")
        assert _results(loaded, folder) == TIE, rows


def test_cli_shows_the_tie_and_explain_names_the_chain(tmp_path):
    code, out, err = run_kaohe(
        "evaluate", "--rules", PRECISION / "rules", "--data", PRECISION / "data_tie"
    )
    assert code == 0, err
    table = {line.split()[0]: line.split() for line in out.splitlines()[1:6]}
    assert table["U1"][4] == table["U2"][4] == "80"  # both shown as 80 at 精度 4
    assert table["U2"][5:7] == ["1", "第一等次"]
    code, out, err = run_kaohe(
        "explain", "U1", "--rules", PRECISION / "rules", "--data", PRECISION / "data_tie"
    )
    assert code == 0, err
    assert "乙卷 降序" in out and "unit.编号 升序" in out


def test_golden_tiers_are_the_same_across_runs():
    """The golden set's ties at tier boundaries (甲十四/甲十五 at 66, quota round_half_up(1.5))
    are decided the same way on every run."""
    loaded = load_rules(GOLDEN_RULES)
    first = _results(loaded, GOLDEN_DATA)
    assert first["J14"] == (14, "第二等次") and first["J15"] == (15, "第三等次")
    for _ in range(10):
        assert _results(loaded, GOLDEN_DATA) == first
