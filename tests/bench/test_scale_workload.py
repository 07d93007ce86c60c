"""The issue-8 scale workload (bench/scale): a small N generated, validated and scored
by the engine and by the hand-written numpy reference, which must agree exactly.

Needs only the runtime dependencies (no duckdb, pyarrow or zen-engine)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score import batch
from kaohe_rules.score.engine import evaluate_year
from kaohe_rules.score.plan import build

SCALE = Path(__file__).resolve().parent.parent.parent / "bench" / "scale"
sys.path.insert(0, str(SCALE))

import compete  # noqa: E402  (bench/scale is not a package)
import generate  # noqa: E402
import reference  # noqa: E402
from workload import Spec  # noqa: E402

N = 200


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale")
    generate.generate(N, folder, parquet=False)
    return folder


def test_generated_files(workload: Path) -> None:
    rows = (workload / "data" / "数据.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "编号,指标,值" and len(rows) == 1 + N * 40
    assert rows[1].startswith("U0")
    roster = (workload / "名单.csv").read_text(encoding="utf-8").splitlines()
    assert len(roster) == 1 + N


def test_rules_validate(workload: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(workload / "rules")])
    assert result.exit_code == 0, result.output
    assert f"{N} 个考核对象" in result.output


def test_engine_matches_numpy_reference(workload: Path) -> None:
    resolved = load_rules(workload / "rules").resolved
    data = read_data(workload / "data", resolved.ruleset)
    engine = compete.engine_results(evaluate_year(resolved, data))

    spec = Spec.from_json(workload / "spec.json")
    ids, cats = reference.read_roster(workload / "名单.csv")
    unit, name, value = compete.read_long(workload, "csv")
    hand = reference.evaluate(spec, ids, cats, reference.pivot(spec, ids, unit, name, value))

    assert (engine.ids == hand.ids).all()
    assert np.max(np.abs(engine.total - hand.total)) <= 1e-9
    assert (engine.rank == hand.rank).all()
    assert (engine.tier == hand.tier).all()
    # The workload exercises every tier, the veto and the caps.
    assert set(np.unique(hand.tier)) == {1, 2, 3}


def test_paper_sums_down_a_batch_are_the_one_by_one_sums(workload: Path, monkeypatch) -> None:
    """Each paper's indicators are consecutive rows of one batch here (both directions of
    线性 share its shape), so a paper is summed by one reduction down the block: every
    paper score must be, to the last bit, the file-order sum of scoring one by one."""
    resolved = load_rules(workload / "rules").resolved
    data = read_data(workload / "data", resolved.ruleset)
    plan = build(resolved)
    # Every paper of every domain lies in a batch's rows: summed by one reduction.
    assert all(
        set(d.fast.paper_places) == {p.id for p in d.domain.papers} for d in plan.domains.values()
    )
    batched = evaluate_year(resolved, data, plan=plan)
    # The units are dealt across domains in the roster, laid out by domain in the data,
    # and each domain's batch reads the values where they are: a view, not a copy.
    assert data.order is not None and data.matrix is not None
    for domain in resolved.ruleset.domains:
        rows = resolved.rosters.of(domain).rows
        for group in batch.plan(resolved, domain):
            block = batch.gather(group, data, rows)
            assert np.shares_memory(block, data.matrix) and not block.flags.writeable
    fresh = load_rules(workload / "rules").resolved
    single = evaluate_year(fresh, read_data(workload / "data", fresh.ruleset), fast=False)
    for one, other in zip(batched.domains, single.domains, strict=True):
        assert one.papers.keys() == other.papers.keys()
        for key, paper in one.papers.items():
            assert paper.tobytes() == other.papers[key].tobytes(), key
        assert one.total.tobytes() == other.total.tobytes()


def test_paired_core_timing_runs_both_cores_on_one_workload(workload: Path) -> None:
    """compete.py paired times the engine's and numpy's cores alternating; its result
    arrays are the engine's, which must still be numpy's."""
    info, results = compete.run_paired(workload, 2, 1, source="csv")
    assert info["samples"] == 10
    assert info["engine_core_s"] > 0 and info["numpy_core_s"] > 0
    assert info["ratio"] == pytest.approx(info["engine_core_s"] / info["numpy_core_s"])
    spec = Spec.from_json(workload / "spec.json")
    ids, cats = reference.read_roster(workload / "名单.csv")
    unit, name, value = compete.read_long(workload, "csv")
    hand = reference.evaluate(spec, ids, cats, reference.pivot(spec, ids, unit, name, value))
    assert (results.rank == hand.rank).all() and (results.tier == hand.tier).all()


def test_report_takes_the_paired_core_ratio_when_there_is_one() -> None:
    import run

    engine = run.Row("engine", 10_000, 0.1, 0.008, 0.008)
    hand = run.Row("numpy", 10_000, 0.02, 0.017, 0.004)
    lines = run.targets([engine, hand], None)
    assert "engine / numpy at 10,000: 2.00 (separate processes; target ≤ 1.5): **not met**" in (
        "\n".join(lines)
    )
    engine.paired_core_s, engine.paired_numpy_s = 0.0055, 0.005
    text = "\n".join(run.targets([engine, hand], None))
    assert "at 10,000: 1.10 (alternating in one process; in separate processes 2.00;" in text
    assert "target ≤ 1.5): met" in text
    assert "| 1.10 ‡ |" in run.table([engine, hand])
