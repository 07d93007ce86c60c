"""The issue-22 records benchmark (bench/records) on a small workload: its rules load and
evaluate, the engine's records stage and the hand-written pandas competitor agree unit by
unit from CSV and from Parquet, and the cross-check does catch a difference."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

RECORDS = Path(__file__).resolve().parent.parent.parent / "bench" / "records"


def _load(name: str):
    # bench/scale has modules of the same kind (generate, run): load these under their own names.
    sys.path.insert(0, str(RECORDS))
    try:
        spec = importlib.util.spec_from_file_location(
            f"bench_records_{name}", RECORDS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(RECORDS))


run = _load("run")


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run.workload(tmp_path_factory.mktemp("records"), 5_000)


def test_engine_and_pandas_agree_from_csv_and_parquet(workload: Path) -> None:
    medians, problems = run.in_process(workload, repeat=1)
    assert problems == []
    assert set(medians) == {(impl, form) for impl in run.WHOLE for form in run.FORMS}


def test_the_cross_check_catches_a_difference(workload: Path) -> None:
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.records.aggregate import aggregate

    ruleset = load_rules(workload / "rules").resolved.ruleset
    found = {}
    for form in run.FORMS:
        data = workload / f"data-{form}"
        found[("engine", form)] = aggregate(ruleset, data)
        found[("pandas", form)] = run.pandas_ref.values(run.pandas_ref.read(data))
    assert run.cross_check(found) == []
    expected = found[("pandas", "csv")]
    unit = sorted(expected.index)[7]
    engine = found[("engine", "csv")].results["好评率"].units[unit].value
    expected.at[unit, "好评率"] += 1e-6
    missing = next(
        u for u in sorted(expected.index) if expected.at[u, "满意度"] != expected.at[u, "满意度"]
    )
    expected.at[missing, "满意度"] = 80.0  # the engine has no value for this unit
    assert run.cross_check(found) == [
        f"csv 满意度 {missing}: engine None, pandas 80.0",
        f"csv 好评率 {unit}: engine {engine}, pandas {expected.at[unit, '好评率']}",
    ]


def test_whole_processes_write_their_result_files(workload: Path, tmp_path: Path) -> None:
    for impl in run.WHOLE:
        out = tmp_path / f"{impl}.csv"
        wall, cpu, peak = run.run_measured(run.whole_args(impl, workload, "parquet", out))
        assert out.stat().st_size > 0 and wall > 0 and cpu > 0 and peak > 0


def test_a_workload_made_by_other_code_is_made_again(workload: Path, tmp_path: Path) -> None:
    folder = run.workload(tmp_path, 1_000)
    (folder / "COMPLETE").write_text("1000 429 22 0000000000000000\n")
    (folder / "rules" / "规则集.yaml").write_text("broken", encoding="utf-8")
    again = run.workload(tmp_path, 1_000)
    assert (again / "COMPLETE").read_text() == run.responses.stamp(1_000)
    assert "记录汇总" in (again / "rules" / "规则集.yaml").read_text(encoding="utf-8")
