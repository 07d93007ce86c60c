"""A roster read from a CSV file is a model.UnitTable (units made on demand, views of rows
for domains and special assessments): every command must give what the same roster written
in YAML gives. The rich case is rules/2023 + rules/2024 (一单位一策, 专项考核, history,
labels) with 2023's 名单.yaml turned into a 名单.csv."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from kaohe_rules import model as m
from kaohe_rules.cli import cli
from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT

KINDS = ("yaml", "csv")
FINGERPRINT = re.compile(r"\b[0-9a-f]{16}\b")
PUBLISHED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")


def _csv_roster(folder: Path) -> None:
    """2023's YAML roster rewritten as 名单.csv, with 名单.yaml naming it."""
    path = folder / "名单.yaml"
    text = path.read_text(encoding="utf-8")
    roster = yaml.safe_load(text)
    attributes = list(roster["属性"])
    with open(folder / "名单.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["编号", "名称", "领域", *attributes])
        for unit in roster["单位"]:
            cells = [_cell(unit.get(name)) for name in attributes]
            writer.writerow([unit["编号"], unit["名称"], unit["领域"], *cells])
    path.write_text(text[: text.index("单位:\n")] + "单位: 名单.csv\n", encoding="utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/yaml and base/csv: rules/2023, rules/2024 and samples/, alike but the roster."""
    root = tmp_path_factory.mktemp("unit_table")
    for kind in KINDS:
        for year in ("2023", "2024"):
            shutil.copytree(ROOT / "rules" / year, root / kind / "rules" / year)
        for name in ("2023", "2024", "2024半年"):
            shutil.copytree(ROOT / "samples" / name, root / kind / "samples" / name)
    _csv_roster(root / "csv" / "rules" / "2023")
    return root


@contextlib.contextmanager
def _inside(folder: Path):
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _run(base: Path, kind: str, args: list[str], outputs: tuple[str, ...] = ()) -> dict:
    """Exit code, output and written files of one command run inside base/<kind>, with
    fingerprints blanked (the roster files differ, so they do)."""
    with _inside(base / kind):
        for name in outputs:
            Path(name).unlink(missing_ok=True)
        result = CliRunner().invoke(cli, args)
        files = {name: _content(Path(name)) for name in outputs}
    found = {"code": result.exit_code, "output": result.output, "files": files}
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        found["exception"] = repr(result.exception)
    text = FINGERPRINT.sub("<指纹>", json.dumps(found, ensure_ascii=False))
    return json.loads(PUBLISHED.sub("<发布时间>", text))


def _content(path: Path) -> object:
    if not path.exists():
        return None
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    return path.read_text(encoding="utf-8")


def _same(base: Path, args: list[str], outputs: tuple[str, ...] = ()) -> dict:
    yaml_roster, csv_roster = (_run(base, kind, args, outputs) for kind in KINDS)
    assert csv_roster == yaml_roster
    return csv_roster


def test_the_csv_roster_is_a_unit_table(base: Path) -> None:
    csv_set = load_rules(base / "csv" / "rules" / "2024").resolved.ruleset
    yaml_set = load_rules(base / "yaml" / "rules" / "2024").resolved.ruleset
    assert isinstance(csv_set.units, m.UnitTable)
    assert not isinstance(yaml_set.units, m.UnitTable)

    def fields(units) -> list:
        return [(u.id, u.name, u.domain, dict(u.attributes)) for u in units]

    assert len(csv_set.units) == len(yaml_set.units) == 429
    assert fields(csv_set.units) == fields(yaml_set.units)


DATA = ["--rules", "rules/2024", "--data", "samples/2024"]
H1 = ["--rules", "rules/2024", "--data", "samples/2024半年", "--period", "H1"]
TREND = ["--years", "2023", "2024", "--rules-root", "rules", "--data-root", "samples"]

COMMANDS = {
    "evaluate csv": (["evaluate", *DATA, "-o", "out.csv"], ("out.csv",)),
    "evaluate json": (["evaluate", *DATA, "--warnings", "-o", "out.json"], ("out.json",)),
    "evaluate xlsx": (["evaluate", *DATA, "-o", "out.xlsx"], ("out.xlsx",)),
    "evaluate H1": (
        ["evaluate", *H1, "-o", "h1.json"],
        ("h1.json",),
    ),
    "explain by id (一单位一策)": (["explain", "330200", *DATA], ()),
    "explain by name json": (["explain", "宁波市", *DATA, "--format", "json"], ()),
    "explain university variant": (["explain", "中国美术学院", *DATA, "--format", "json"], ()),
    "explain special": (["explain", "宁波市", "--special", "营商环境", *DATA], ()),
    "explain special member dept": (
        ["explain", "省发展改革委", "--special", "营商环境", *DATA, "--format", "json"],
        (),
    ),
    "explain special non-member": (["explain", "上城区", "--special", "营商环境", *DATA], ()),
    "explain unknown unit": (["explain", "宁波", *DATA], ()),
    "feedback json": (["feedback", *DATA, "-o", "fb.json"], ("fb.json",)),
    "feedback xlsx": (["feedback", *DATA, "-o", "fb.xlsx"], ("fb.xlsx",)),
    "attribute": (["attribute", *DATA, "-o", "at.json"], ("at.json",)),
    "report": (["report", *DATA, "-o", "r.html"], ("r.html",)),
    "report --unit": (["report", *DATA, "--unit", "舟山市", "-o", "r2.html"], ("r2.html",)),
    "analyze domains": (["analyze", "domains", *DATA, "--format", "json"], ()),
    "analyze indicators": (["analyze", "indicators", *DATA, "--format", "csv"], ()),
    "analyze trend": (
        ["analyze", "trend", *TREND, "--format", "json"],
        (),
    ),
    "diff with data": (["diff", "rules/2023", "rules/2024", "--data", "samples/2024"], ()),
    "diff json": (["diff", "rules/2023", "rules/2024", "--format", "json"], ()),
    "test --coverage": (["test", "rules/2024", "--coverage"], ()),
    "validate": (["validate", "rules/2024"], ()),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_gives_the_same_for_a_csv_roster(base: Path, name: str) -> None:
    args, outputs = COMMANDS[name]
    found = _same(base, args, outputs)
    if name in ("explain unknown unit", "explain special non-member"):
        assert found["code"] == 1 and "KH301" in found["output"]
    else:
        assert found["code"] == 0, found["output"]
    assert all(content for content in found["files"].values())


def test_publish_history_and_archive_give_the_same(base: Path) -> None:
    archive = ["--archive", "a.sqlite"]
    for year in ("2023", "2024"):
        rules = ["--rules", f"rules/{year}", "--data", f"samples/{year}"]
        found = _same(base, ["publish", *rules, *archive])
        assert found["code"] == 0, found["output"]
    for unit in ("宁波市", "330782"):
        assert _same(base, ["history", unit, *archive, "--format", "json"])["code"] == 0
    evaluated = _same(base, ["evaluate", *DATA, "--history-archive", "a.sqlite", "-o", "ha.json"])
    assert evaluated["code"] == 0, evaluated["output"]


def _data_without(base: Path, unit_id: str) -> None:
    for kind in KINDS:
        folder = base / kind / "samples" / "absent"
        shutil.copytree(ROOT / "samples" / "2024", folder, dirs_exist_ok=True)
        for path in folder.glob("*.csv"):
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            path.write_text("".join(x for x in lines if not x.startswith(unit_id + ",")), "utf-8")


def test_warnings_about_a_unit_without_data_are_the_same(base: Path) -> None:
    _data_without(base, "330200")  # 宁波市: a 一单位一策 and 营商环境 member
    args = ["evaluate", "--rules", "rules/2024", "--data", "samples/absent", "--warnings"]
    found = _same(base, [*args, "-o", "absent.json"], ("absent.json",))
    assert found["code"] == 0 and "没有任何值：宁波市" in found["output"]


def test_data_naming_units_instead_of_ids_is_read_the_same(base: Path) -> None:
    for kind in KINDS:
        folder = base / kind / "samples" / "named"
        shutil.copytree(ROOT / "samples" / "2024", folder, dirs_exist_ok=True)
        path = folder / "指标值.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [lines[0], *(line.split(",", 1)[1] for line in lines[1:])]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    args = ["evaluate", "--rules", "rules/2024", "--data", "samples/named", "-o", "named.json"]
    found = _same(base, args, ("named.json",))
    assert found["code"] == 0, found["output"]


def test_show_counts_the_units_of_a_roster_file(base: Path) -> None:
    _same(base, ["show", "rules/2024"])
