"""A roster whose units are a CSV (or XLSX) file: the same results as the YAML roster, and
every cell checked against the declared attribute types, at its line and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT, edited_copy

HERE = ROOT / "tests" / "scale" / "roster_csv"
GOLDEN = ROOT / "tests" / "golden" / "evaluate"


def _results(rules: Path, tmp_path: Path) -> list[dict]:
    out = tmp_path / f"{rules.name}.json"
    args = ["evaluate", "--rules", str(rules), "--data", str(GOLDEN / "data"), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))["结果"]


def test_a_csv_roster_gives_the_results_of_the_yaml_roster(tmp_path: Path) -> None:
    assert _results(HERE, tmp_path) == _results(GOLDEN / "rules", tmp_path)


def test_the_roster_file_enters_the_fingerprint() -> None:
    files = [p.name for p in load_rules(HERE).resolved.ruleset.files]
    assert "名单.csv" in files and "名单.yaml" in files


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    return edited_copy(HERE, tmp_path / "rules", "名单.csv", old, new)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("编号,名称,领域,类型,规模", "编号,名称,领域,类型,规模,级别", ("KH232", 2, 6)),
        ("编号,名称,领域,类型,规模", "编号,名称,类型,规模", ("KH213", 2, 1)),
        ("J02,甲二,甲,甲,", ",甲二,甲,甲,", ("KH213", 4, 1)),
    ],
)
def test_roster_table_problems_are_placed(tmp_path: Path, old, new, where) -> None:
    if new.endswith(",级别"):
        folder = _broken(tmp_path, old, new)
        csv = folder / "名单.csv"
        lines = csv.read_text(encoding="utf-8").splitlines()
        csv.write_text("\n".join(lines[:2] + [x + "," for x in lines[2:]]) + "\n", "utf-8")
    else:
        folder = _broken(tmp_path, old, new)
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    found = [(d.code, d.span.line, d.span.column) for d in raised.value.diagnostics]
    assert where in found, found


def test_a_typed_attribute_is_checked(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(HERE, folder)
    roster = folder / "名单.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("规模: 文本", "规模: 真假"), encoding="utf-8"
    )
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    found = [(d.code, d.span.line, d.span.column) for d in raised.value.diagnostics]
    assert ("KH232", 18, 5) in found  # Y01's 规模 is 大, not 是/否


def test_a_missing_roster_file_is_reported_at_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(HERE, folder)
    (folder / "名单.csv").unlink()
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    (found,) = raised.value.diagnostics
    assert (found.code, Path(found.span.file).name, found.span.line) == ("KH208", "名单.yaml", 6)


def test_a_roster_table_of_no_units_is_refused_as_an_empty_yaml_list_is(tmp_path: Path) -> None:
    """A header-only table was a rule set of 0 units (`单位: []` in YAML is refused)."""
    folder = tmp_path / "rules"
    shutil.copytree(HERE, folder)
    table = folder / "名单.csv"
    kept = [line for line in table.read_text(encoding="utf-8").splitlines() if "," in line][:1]
    lines = table.read_text(encoding="utf-8").splitlines()
    header_at = lines.index(kept[0]) + 1
    table.write_text("\n".join(lines[:header_at]) + "\n", encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    found = [(d.code, d.span.file, d.span.line) for d in raised.value.diagnostics]
    assert found == [("KH214", str(table), header_at)], found
    assert "没有单位" in raised.value.diagnostics[0].message
