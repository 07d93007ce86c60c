"""The bundled sample data are plausible, are what their generator writes, and the 2023
sample agrees with what was published about that year (DOMAIN.md): 429 units, 104
先进单位, 20 第三等次 units."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from kaohe_rules.pipeline import load_rules, run_year
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    path = ROOT / "scripts" / "make_sample_data.py"
    spec = importlib.util.spec_from_file_location("make_sample_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _generator()


def test_the_2023_sample_gives_the_published_counts() -> None:
    resolved = load_rules(ROOT / "rules" / "2023").resolved
    evaluation = evaluate_year(resolved, read_data(ROOT / "samples" / "2023", resolved.ruleset))
    units = sum(len(d.units) for d in evaluation.domains)
    advanced = sum(int(np.sum(d.labels["先进单位"] == 1.0)) for d in evaluation.domains)
    third = {d.domain.name: int(np.sum(d.tier == "第三等次")) for d in evaluation.domains}
    assert (units, advanced, sum(third.values())) == (429, 104, 20)
    # The bottom 10% of the domains ranked that way; 高校 and 开发区 are not.
    assert third == {"市县": 10, "省直部门单位": 8, "省属企业": 2, "高校": 0, "开发区（园区）": 0}
    assert not any(d.veto.any() for d in evaluation.domains)


@pytest.mark.parametrize(("year", "half"), [(2023, False), (2024, False), (2024, True)])
def test_the_samples_are_plausible(generator, year: int, half: bool) -> None:
    assert generator.check(year, half=half) == []


def test_the_samples_are_what_the_generator_writes(generator, tmp_path: Path) -> None:
    history = generator.generate(2023, out=tmp_path)
    generator.generate(2024, history, out=tmp_path)
    generator.generate(2024, half=True, out=tmp_path)
    for written in sorted(tmp_path.rglob("*.csv")):
        shipped = ROOT / "samples" / written.relative_to(tmp_path)
        assert written.read_bytes() == shipped.read_bytes(), shipped
    # Parquet's bytes name the pyarrow that wrote them: the records are compared as tables.
    records = sorted(tmp_path.rglob("*.parquet"))
    assert [p.relative_to(tmp_path).as_posix() for p in records] == [
        "2024/记录/满意度评价.parquet",
        "2024半年/记录/满意度评价.parquet",
    ]
    for written in records:
        shipped = ROOT / "samples" / written.relative_to(tmp_path)
        assert pq.read_table(written).equals(pq.read_table(shipped)), shipped


@pytest.mark.parametrize("folder", ["2024", "2024半年"])
def test_the_satisfaction_values_are_the_mean_of_the_valid_responses(folder: str) -> None:
    """The 2024 rules aggregate 上评下 and 下评上 from the sample's responses (记录汇总): a
    million of them for the year, each unit's valid ratings averaging to one decimal; the
    engine's values equal a pandas groupby of the same file."""
    responses = pd.read_parquet(ROOT / "samples" / folder / "记录" / "满意度评价.parquet")
    if folder == "2024":
        assert len(responses) >= 1_000_000
    valid = responses[responses["有效"]]
    expected = valid.groupby(["评价方向", "被评单位"], observed=True)["评分"].mean()
    assert not valid.empty and (~responses["有效"]).any()
    assert (expected.round(1) == expected).all()  # one decimal, as the values used to be
    evaluation = run_year(ROOT / "rules" / "2024", ROOT / "samples" / folder)
    data = evaluation.data
    for direction in ("上评下", "下评上"):
        column = data.columns[direction]
        mine = {unit: float(column[data.row[unit]]) for unit in data.row}
        theirs = expected[direction].to_dict()
        assert mine == pytest.approx(theirs, rel=0, abs=1e-12)
        assert len(mine) == 429


def test_the_check_finds_an_implausible_value(generator, tmp_path: Path) -> None:
    folder = tmp_path / "2023"
    folder.mkdir()
    for source in (ROOT / "samples" / "2023").iterdir():
        text = source.read_text(encoding="utf-8")
        if source.name == "指标值.csv":
            # 淳安县's growth typed as a percent-number: 570 times a share of about 0.057.
            old = next(line for line in text.splitlines() if line.startswith("330127,淳安县,一般"))
            text = text.replace(old, old.rsplit(",", 1)[0] + ",57", 1)
        (folder / source.name).write_text(text, encoding="utf-8")
    assert generator.check(2023, out=tmp_path) != []
