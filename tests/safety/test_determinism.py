"""Same rules and data, same bytes: across runs, processes, hash seeds and data row order.

The inputs are the bundled 2024 rule set and its 429-unit sample data. Every output
the issue names is checked: ``kaohe evaluate -o`` .csv, .json and .xlsx,
``kaohe feedback -o`` .xlsx and ``kaohe report -o`` .html.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.safety.helpers import (
    FINGERPRINT,
    ROOT,
    RULES_2024,
    SAMPLES_2024,
    cli_command,
    copy_inputs,
    masked,
    process_env,
    run_kaohe,
    run_process,
    shuffle_csv_rows,
    shuffle_parquet_rows,
)

OUTPUTS = {
    "结果.csv": "evaluate",
    "结果.json": "evaluate",
    "结果.xlsx": "evaluate",
    "问题清单.xlsx": "feedback",
    "报告.html": "report",
}


def _commands(rules, data, folder):
    return [
        [command, "--rules", rules, "--data", data, "-o", folder / name]
        for name, command in OUTPUTS.items()
    ]


def _produce_in_process(rules, data, folder) -> tuple[dict[str, bytes], str]:
    folder.mkdir()
    fingerprints = set()
    for args in _commands(rules, data, folder):
        code, out, err = run_kaohe(*args)
        assert code == 0, err
        fingerprints.update(FINGERPRINT.findall(out))
    assert len(fingerprints) == 1, fingerprints  # evaluate and report say the same
    return {name: (folder / name).read_bytes() for name in OUTPUTS}, fingerprints.pop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The five outputs of the sample year, written once in this process."""
    return _produce_in_process(RULES_2024, SAMPLES_2024, tmp_path_factory.mktemp("ref") / "a")


def _assert_same(expected: dict[str, bytes], folder) -> None:
    for name, content in expected.items():
        got = (folder / name).read_bytes()
        assert got == content, f"{name} differs between runs"


def test_outputs_carry_the_fingerprint(reference):
    outputs, fingerprint = reference
    for name in ("结果.csv", "结果.json", "报告.html"):
        assert fingerprint.encode() in outputs[name], name
    assert any(fingerprint.encode() in c for _n, c in masked(outputs["结果.xlsx"], ".xlsx", "", ""))


def test_same_bytes_on_a_second_run_in_the_same_process(reference, tmp_path):
    outputs, fingerprint = reference
    again, again_fingerprint = _produce_in_process(RULES_2024, SAMPLES_2024, tmp_path / "b")
    assert again_fingerprint == fingerprint
    _assert_same(outputs, tmp_path / "b")
    assert again == outputs


def test_same_bytes_from_separate_processes_with_other_hash_seeds(reference, tmp_path):
    """All five outputs written by another process with PYTHONHASHSEED=1 (one process
    running the five commands through the real entry point, to keep the test fast), and
    the workbook once more by a plain ``python cli.py evaluate`` with PYTHONHASHSEED=2024:
    byte-identical to the reference written in this process (whose seed is random)."""
    outputs, _fingerprint = reference
    first = tmp_path / "seed1"
    first.mkdir()
    runs = [[str(a) for a in args] for args in _commands(RULES_2024, SAMPLES_2024, first)]
    driver = (
        "import sys\n"
        "from kaohe_rules.cli import main\n"
        f"for argv in {runs!r}:\n"
        "    sys.argv = ['kaohe', *argv]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as done:\n"
        "        assert not done.code, (argv, done.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", driver], cwd=tmp_path, env=process_env("1"), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    _assert_same(outputs, first)

    second = tmp_path / "seed2024"
    second.mkdir()
    args = ["evaluate", "--rules", RULES_2024, "--data", SAMPLES_2024, "-o", second / "结果.xlsx"]
    done = subprocess.run(
        cli_command(*args), cwd=tmp_path, env=process_env("2024"), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    assert (second / "结果.xlsx").read_bytes() == outputs["结果.xlsx"]


def test_same_results_whatever_the_order_of_data_rows(reference, tmp_path):
    """Every data CSV (指标值, 年度数据, 历史) and the satisfaction responses (记录汇总)
    with their rows shuffled (fixed seeds; comment and header lines kept first), in two
    orders. The shuffled files have other bytes, so the fingerprint (a hash of the input
    files' contents) differs by design: each output is compared with that fingerprint
    replaced by the other one, everything else byte for byte (XLSX member by member,
    uncompressed). Two shuffles are compared with each other, not with the reference:
    shuffled files are no longer the bundled sample's bytes, so their outputs rightly
    carry no sample notice (docs/evaluate.md, 用哪份数据)."""
    _outputs, fingerprint = reference
    produced = []
    for run, seed in (("a", 7), ("b", 107)):
        data = copy_inputs(SAMPLES_2024, tmp_path / f"data_{run}")
        csvs = sorted(data.glob("*.csv"))
        assert len(csvs) == 3
        for number, path in enumerate(csvs):
            shuffle_csv_rows(path, seed=seed + number)
        records = sorted(data.rglob("*.parquet"))
        assert [p.name for p in records] == ["满意度评价.parquet"]  # 上评下, 下评上 (记录汇总)
        shuffle_parquet_rows(records[0], seed=seed)
        produced.append(_produce_in_process(RULES_2024, data, tmp_path / f"out_{run}"))
    (first, first_print), (second, second_print) = produced
    assert len({fingerprint, first_print, second_print}) == 3  # other bytes, other prints
    for name, content in first.items():
        suffix = name[name.rindex(".") :]
        assert _cells_unplaced(
            masked(second[name], suffix, second_print, first_print), suffix
        ) == _cells_unplaced(masked(content, suffix, first_print, first_print), suffix), (
            f"{name} depends on the order of data rows"
        )
        assert "内置的合成示例数据".encode() not in content


def _cells_unplaced(output: object, suffix: str) -> object:
    """A JSON output without the lines and columns of warnings that point at a data cell
    (KH316 names a cell, which is on another line once the rows are shuffled)."""
    if suffix != ".json":
        return output
    found = json.loads(output)
    for warning in found["警告"]:
        if str(warning.get("file", "")).endswith(".csv"):
            for key in ("line", "column", "end_line", "end_column"):
                warning.pop(key, None)
    return found


def test_golden_set_same_bytes_twenty_times(tmp_path):
    """The small golden set (ties at tier boundaries, a veto, a missing value) run twenty
    times in one process: one set of bytes."""
    from tests.safety.helpers import GOLDEN_DATA, GOLDEN_RULES

    seen = set()
    for run in range(20):
        target = tmp_path / f"{run}.json"
        code, _out, err = run_kaohe(
            "evaluate", "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", target
        )
        assert code == 0, err
        seen.add(target.read_bytes())
    assert len(seen) == 1


def test_same_inputs_in_another_folder_give_the_same_bytes(tmp_path, monkeypatch):
    """The fingerprint hashes names and contents, "not where they are, so the same inputs
    copied elsewhere or named by another path give the same" (engine.fingerprint); the
    outputs carrying that fingerprint must then be the same bytes too. The golden set is
    evaluated where it is (absolute path) and as a copy named by a relative path."""
    from tests.safety.helpers import GOLDEN_DATA, GOLDEN_RULES

    copy_inputs(GOLDEN_RULES, tmp_path / "rules")
    copy_inputs(GOLDEN_DATA, tmp_path / "data")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    code, out_a, err = run_kaohe(
        "evaluate", "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", first
    )
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    code, out_b, err = run_kaohe("evaluate", "--rules", "rules", "--data", "data", "-o", second)
    assert code == 0, err
    assert FINGERPRINT.findall(out_a) == FINGERPRINT.findall(out_b)  # same inputs
    assert first.read_bytes() == second.read_bytes()  # 警告[].file differs today


def test_the_fingerprint_is_of_the_files_as_they_were_read(tmp_path):
    """A process that keeps its rules and data (a monitoring platform) and evaluates again
    after a file changed on disk still evaluates what it read: the fingerprint must say
    so, not describe the changed file. Reading them again gives the new fingerprint."""
    import shutil

    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year

    rules, data = tmp_path / "rules" / "2024", tmp_path / "data"
    shutil.copytree(RULES_2024.parent, tmp_path / "rules")  # 2024 继承 2023
    shutil.copytree(SAMPLES_2024, data)
    resolved = load_rules(rules).resolved
    values = read_data(data, resolved.ruleset)
    before = evaluate_year(resolved, values).fingerprint
    for changed in (rules / "规则集.yaml", sorted(data.glob("*.csv"))[0]):
        # A leading comment line: the same values, other contents.
        text = changed.read_text(encoding="utf-8-sig")
        changed.write_text("# 读入之后改过\n" + text, encoding="utf-8")
        assert evaluate_year(resolved, values).fingerprint == before
    fresh = load_rules(rules).resolved
    after = evaluate_year(fresh, read_data(data, fresh.ruleset)).fingerprint
    assert after != before


def test_kaohe_diff_lists_changes_in_one_order_whatever_the_hash_seed(tmp_path):
    """`kaohe diff rules/2023 rules/2024` from processes with different
    PYTHONHASHSEED: the same bytes. Names added or removed (two 记录汇总 in 2024) were
    listed in the order of a set difference, which the salted str hash changed per run."""
    outputs = set()
    for seed in ("1", "5"):  # with these two, a set difference lists them in two orders
        done = run_process(
            "diff", ROOT / "rules/2023", ROOT / "rules/2024", cwd=tmp_path, hash_seed=seed
        )
        assert done.returncode == 0, done.stderr
        assert "新增 记录汇总 上评下" in done.stdout
        outputs.add(done.stdout)
    assert len(outputs) == 1
