"""The issue-20 benchmark workload (bench/scale): a small N generated, validated and scored
from every input form by the engine (the `kaohe evaluate` command), the hand-written numpy
reference and, where duckdb is installed, DuckDB; every result file must agree exactly.

The engine and numpy need only the runtime dependencies; DuckDB's tests skip without it
(CI does not install bench/scale/requirements.txt)."""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli

SCALE = Path(__file__).resolve().parent.parent.parent / "bench" / "scale"
sys.path.insert(0, str(SCALE))

import check  # noqa: E402  (bench/scale is not a package)
import compete  # noqa: E402
import generate  # noqa: E402
import reference  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
from workload import MISSING_RATE, Spec  # noqa: E402

N = 300
FORMS = generate.FORMS


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale")
    generate.generate(N, folder)
    return folder


@pytest.fixture(scope="module")
def numpy_result(workload: Path, tmp_path_factory: pytest.TempPathFactory) -> check.Table:
    out = tmp_path_factory.mktemp("ref") / "numpy.csv"
    reference.run(workload, "data-csv", out)
    return check.read_result(out)


def test_same_seed_same_bytes(workload: Path, tmp_path: Path) -> None:
    generate.generate(N, tmp_path)
    compared = filecmp.dircmp(workload, tmp_path)
    assert not compared.diff_files and not compared.left_only
    for form in (*FORMS, "rules"):
        sub = filecmp.dircmp(workload / form, tmp_path / form)
        assert sub.left_list and not sub.diff_files, form
        _same, differ, errors = filecmp.cmpfiles(workload / form, tmp_path / form, sub.left_list)
        assert not differ and not errors, form


def test_a_workload_made_by_other_code_is_made_again(tmp_path: Path) -> None:
    folder = run.generate(40, tmp_path)
    fields = (folder / "COMPLETE").read_text().split()
    assert fields[3] == generate.generator_version()
    made = (folder / "data-csv" / "数据.csv").stat().st_mtime_ns
    assert run.generate(40, tmp_path) == folder  # this version's: kept
    assert (folder / "data-csv" / "数据.csv").stat().st_mtime_ns == made
    (folder / "COMPLETE").write_text(" ".join(fields[:3]) + "\n")  # an older generator's
    (folder / "stale.csv").write_text("left by the other version")
    run.generate(40, tmp_path)
    assert (folder / "COMPLETE").read_text().split() == fields
    assert not (folder / "stale.csv").exists()


def test_wide_files_hold_only_names_some_rule_reads(workload: Path) -> None:
    """At 1,000,000 units no 一单位一策 added 特色指标1: an all-empty column no rule named,
    which the engine refuses (KH302) under 未知数据: 报错. The wide files leave such names out."""
    spec = Spec.from_json(workload / "spec.json")
    header = (workload / "data-wide-csv" / "数据.csv").read_text(encoding="utf-8").split("\n")[0]
    assert header.split(",") == ["编号", *spec.wide_columns]
    rules = "".join(p.read_text(encoding="utf-8") for p in (workload / "rules").glob("*.yaml"))
    assert all(name in rules for name in spec.wide_columns)
    bare = Spec(spec.domains, [])  # no 一单位一策: no 特色指标 is read
    assert not any(name.startswith("特色指标") for name in bare.wide_columns)
    assert set(bare.wide_columns) < set(spec.columns)


def test_domains_differ_and_variants_are_few(workload: Path) -> None:
    spec = Spec.from_json(workload / "spec.json")
    assert len({tuple(d.indicator_ids) for d in spec.domains}) == len(spec.domains)
    assert len({tuple(p.name for p in d.papers) for d in spec.domains}) > 1
    assert {d.missing for d in spec.domains} == {"记零分", "剔除折算"}
    assert len(spec.variants) == 30
    assert any(v.deleted for v in spec.variants) and any(v.added for v in spec.variants)
    assert {key for v in spec.variants for _n, key, _v in v.adjust} == {"满分", "目标值"}
    rows = (workload / "data-csv" / "数据.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "编号,指标,值"
    expected = sum(
        len(d.indicator_ids) + len(d.item_ids)
        for d in spec.domains
        for _ in range(sum(line.split(",")[2] == d.name for line in _roster(workload)))
    )
    absent = 1 - (len(rows) - 1) / expected
    assert 0.3 * MISSING_RATE < absent < 3 * MISSING_RATE


def _roster(workload: Path) -> list[str]:
    return (workload / "名单.csv").read_text(encoding="utf-8").splitlines()[1:]


def test_rules_validate_without_warnings(workload: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(workload / "rules")])
    assert result.exit_code == 0, result.output
    assert f"{N} 个考核对象" in result.output and "warning" not in result.output


@pytest.mark.parametrize("form", FORMS)
def test_engine_and_numpy_agree_from_every_form(
    workload: Path, numpy_result: check.Table, form: str, tmp_path: Path
) -> None:
    out = tmp_path / "engine.csv"
    args = ["evaluate", "--rules", str(workload / "rules"), "--data", str(workload / form)]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert check.compare(numpy_result, check.read_result(out), "engine") == []
    mine = tmp_path / "numpy.csv"
    reference.run(workload, form, mine)
    assert check.compare(numpy_result, check.read_result(mine), "numpy") == []
    # The workload exercises every tier and the veto.
    assert set(np.unique(numpy_result.tier)) == {1, 2, 3}


@pytest.mark.parametrize("form", FORMS)
def test_duckdb_agrees_from_every_form(
    workload: Path, numpy_result: check.Table, form: str, tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    import duck

    out = tmp_path / "duckdb.csv"
    duck.run(workload, form, out)
    assert check.compare(numpy_result, check.read_result(out), "duckdb") == []


def test_numpy_writes_the_engines_whole_table(
    workload: Path, numpy_result: check.Table, tmp_path: Path
) -> None:
    """Same work for every timing: numpy writes the engine's rows byte for byte (in roster
    order, without the 指纹 line). DuckDB writes the same table in its own number text
    (test_duckdb_agrees_from_every_form)."""
    out = tmp_path / "engine.csv"
    args = ["evaluate", "--rules", str(workload / "rules"), "--data", str(workload / "data-csv")]
    assert CliRunner().invoke(cli, [*args, "-o", str(out)]).exit_code == 0
    engine = out.read_text(encoding="utf-8-sig").splitlines()
    mine = tmp_path / "numpy.csv"
    reference.run(workload, "data-csv", mine)
    numpy_rows = mine.read_text(encoding="utf-8").splitlines()
    assert engine[0].startswith("# 指纹") and numpy_rows[0] == engine[1]
    assert sorted(numpy_rows[1:]) == sorted(engine[2:])
    assert len(numpy_result.columns) == 20 and "排名人数" in numpy_result.columns


def test_an_item_without_a_value_adds_nothing_in_numpy_as_in_the_engine(
    workload: Path, tmp_path: Path
) -> None:
    """The generator gives every item for every unit; a real data file may not. numpy
    counted a missing 加分项 as no 加分 at all (an empty total), the engine as 0."""
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(workload, folder, ignore=shutil.ignore_patterns("data-*"))
    (folder / "data-csv").mkdir()
    lines = (workload / "data-csv" / "数据.csv").read_text(encoding="utf-8").splitlines()
    item = next(k for k, line in enumerate(lines) if ",加分项" in line)
    unit = lines[item].split(",")[0]
    kept = lines[:item] + lines[item + 1 :]
    (folder / "data-csv" / "数据.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    out = tmp_path / "engine.csv"
    args = ["evaluate", "--rules", str(folder / "rules"), "--data", str(folder / "data-csv")]
    assert CliRunner().invoke(cli, [*args, "-o", str(out)]).exit_code == 0
    mine = tmp_path / "numpy.csv"
    reference.run(folder, "data-csv", mine)
    engine = check.read_result(out)
    assert check.compare(engine, check.read_result(mine), "numpy") == []
    at = int(np.flatnonzero(engine.ids == unit)[0])
    assert not np.isnan(engine.columns["总分"][at]) and not np.isnan(engine.columns["加分"][at])


def test_an_empty_cell_is_the_only_empty_number(numpy_result: check.Table, tmp_path: Path) -> None:
    """pyarrow reads "NULL", "nan" or "N/A" as null by default: a competitor writing one
    where the engine leaves a cell empty would pass unseen."""
    path = tmp_path / "numpy.csv"
    header = list(numpy_result.columns)
    rows = [",".join(header)]
    for k in range(len(numpy_result.ids)):
        cells = []
        for name in header:
            value = numpy_result.columns[name][k]
            text = "NULL" if isinstance(value, float) and np.isnan(value) else str(value)
            cells.append(text)
        rows.append(",".join(cells))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import pyarrow as pa

    with pytest.raises(pa.ArrowInvalid, match="NULL"):
        check.read_result(path)


def test_duckdb_rounds_as_the_engine_does() -> None:
    """engine_round against round_vector: exact decimal halves and the doubles either side
    of them (computed as a 线性 score computes them), small, negative and plain values."""
    duckdb = pytest.importorskip("duckdb")
    import duck

    from kaohe_rules.dsl.numeric import round_vector

    rng = np.random.default_rng(4)
    halves = (rng.integers(-(10**7), 10**7, 3000) * 2 + 1) / 2e4  # x.xxxx5
    scores = 7 * ((rng.integers(0, 10**4, 3000) / 100 - 78) / (14 - 78))
    values = np.concatenate(
        [
            halves,
            np.nextafter(halves, np.inf),
            np.nextafter(halves, -np.inf),
            scores,
            rng.uniform(-100, 100, 3000),
            [0.0, -0.0, 5e-05, 4.9999999999999996e-05, 2.675, 1.00005, 0.90124999999999944],
        ]
    )
    connection = duckdb.connect()
    connection.execute(duck.rounding_macro())
    for digits in (0, 2, 4):
        found = connection.execute(
            f"SELECT engine_round(x, {digits}) FROM (SELECT UNNEST(?::DOUBLE[]) AS x)",
            [values.tolist()],
        ).fetchnumpy()
        rounded = np.asarray(next(iter(found.values())), dtype=np.float64)
        assert (rounded == round_vector(values, digits)).all(), digits


def test_cross_check_names_the_units_that_differ(numpy_result: check.Table) -> None:
    other = numpy_result.copy()
    other.columns["总分"][5] += 1e-4
    other.columns["等次"][7] = "第三等次" if other.tier[7] != 3 else "第一等次"
    other.columns["党建"][9] = np.nan if not np.isnan(other.columns["党建"][9]) else 1.0
    problems = check.compare(numpy_result, other, "x")
    assert len(problems) == 3
    assert "党建" in problems[0] and numpy_result.ids[9] in problems[0]
    assert "总分" in problems[1] and numpy_result.ids[5] in problems[1]
    assert "等次" in problems[2] and numpy_result.ids[7] in problems[2]
    del other.columns["加分"]
    assert check.compare(numpy_result, other, "x") == [
        "x: other columns (" + ", ".join(other.columns) + ")"
    ]


def test_in_process_and_paired_timings_run(workload: Path, tmp_path: Path) -> None:
    out = tmp_path / "engine.csv"
    info = compete.files("engine", workload, "data-parquet", out)
    assert info["wall_s"] > 0 and info["cpu_s"] > 0 and out.is_file()
    paired = compete.paired(workload, 1)
    assert paired["samples"] == 5 and paired["engine_core_s"] > 0 < paired["numpy_core_s"]


def test_the_guard_stops_a_process_that_takes_too_long() -> None:
    done, _ = run.run_measured([sys.executable, "-c", "import time; time.sleep(30)"], 0.5, 1e6)
    assert done.stopped == "stopped after 0 s" and done.wall < 10
    done, _ = run.run_measured([sys.executable, "-c", "raise SystemExit(3)"], 30, 1e6)
    assert done.stopped == "exit 3"


def test_report_targets_from_a_state() -> None:
    state = run.State(args={"forms": ["data-csv", "data-parquet"], "impls": ["engine", "duckdb"]})
    state.rows = {100_000: 2_000_000}
    for impl, form, wall in (
        ("engine", "data-csv", 4.0),
        ("duckdb", "data-csv", 5.0),
        ("engine", "data-parquet", 1.0),
    ):
        state.cell(100_000, impl, form, "whole").runs.append(run.Run(wall, wall, 100.0))
    state.paired = {100_000: {"engine_core_s": 0.2, "numpy_core_s": 0.1, "samples": 5}}
    text = "\n".join(report.targets(state))
    assert "engine / DuckDB at 100,000: 0.80 wall (0.80 CPU) — target < 1.0: met" in text
    assert "long CSV / long Parquet = 4.00" in text and "target ≥ 3: met" in text
    assert "engine / numpy at 100,000 (alternating in one process): 2.00" in text
    assert "target ≤ 1.5: **not met**" in text


def test_core_timing_on_the_bundled_rules_runs_from_the_command_line() -> None:
    root = SCALE.parent.parent
    command = [sys.executable, str(SCALE / "compete.py"), "core", "rules/2024", "samples/2024"]
    done, text = run.run_measured([*command, "--repeat", "1"], 120, 1e6)
    assert done.stopped is None, done.stopped
    assert '"core_s"' in text and root.is_dir()
