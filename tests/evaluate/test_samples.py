"""The bundled sample data are plausible, are what their generator writes, and the 2023
sample agrees with what was published about that year (DOMAIN.md): 429 units, 104
先进单位, 20 第三等次 units."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kaohe_rules.pipeline import load_rules
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
