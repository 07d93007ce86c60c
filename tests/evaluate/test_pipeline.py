"""pipeline.py is where a year runs: its stages in order, its options (period, history
archive, lenient names, a data folder picked from the rules), and that no command strings
the stages together itself."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules import pipeline
from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
HALF = ROOT / "tests" / "expressiveness" / "half_year"


def test_the_stages_run_in_this_order() -> None:
    assert [stage.name for stage in pipeline.STAGES] == [
        "assemble",
        "schema",
        "build",
        "resolve",
        "check",
        "choose data",
        "half year",
        "plan",
        "read data",
        "records",
        "history",
        "score and rank",
        "fingerprint",
    ]


def test_evaluate_writes_what_the_pipeline_gives(tmp_path: Path) -> None:
    evaluation = pipeline.run_year(GOLDEN / "rules", GOLDEN / "data")
    out = tmp_path / "结果.json"
    args = ["evaluate", "--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["指纹"] == evaluation.fingerprint
    written_totals = {r["编号"]: r["总分"] for r in written["结果"]}
    assert written_totals == pytest.approx(_totals(evaluation), abs=1e-4)


def test_the_half_year_is_a_period_with_its_own_fingerprint() -> None:
    whole = pipeline.run_year(HALF / "rules", HALF / "data")
    half = pipeline.run_year(HALF / "rules", HALF / "data", period="H1")
    assert (whole.period, half.period) == ("全年", "H1")
    assert whole.fingerprint != half.fingerprint
    with pytest.raises(ValueError, match="period"):
        pipeline.run_year(HALF / "rules", HALF / "data", period="H2")


def test_the_data_folder_may_be_picked_once_the_rules_say_their_year() -> None:
    seen = []

    def pick(ruleset) -> Path:
        seen.append(ruleset.year)
        return GOLDEN / "data"

    evaluation = pipeline.run_year(GOLDEN / "rules", pick)
    assert seen == [evaluation.resolved.ruleset.year]


def test_a_missing_history_archive_is_a_usage_error_of_its_own(tmp_path: Path) -> None:
    missing = tmp_path / "没有.sqlite"
    with pytest.raises(pipeline.ArchiveNotFound) as raised:
        pipeline.run_year(GOLDEN / "rules", GOLDEN / "data", history_archive=missing)
    assert raised.value.path == missing
    assert str(raised.value) == f"找不到归档文件 {missing}"


def test_lenient_ignores_names_the_rules_do_not_know(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(GOLDEN / "data", data)
    with (data / "其他.csv").open("w", encoding="utf-8") as extra:
        extra.write("编号,名称,别的年度的指标\nJ01,甲一,1\n")
    with pytest.raises(KaoheError):
        pipeline.run_year(GOLDEN / "rules", data)
    lenient = pipeline.run_year(GOLDEN / "rules", data, lenient=True)
    strict = pipeline.run_year(GOLDEN / "rules", GOLDEN / "data")
    assert _totals(lenient) == _totals(strict)


def _totals(evaluation) -> dict[str, float]:
    return {
        unit.id: float(total)
        for domain in evaluation.domains
        for unit, total in zip(domain.units, domain.total, strict=True)
    }


STAGE_FUNCTIONS = {
    "assemble",
    "build",
    "resolve",
    "half_year",
    "read_data",
    "evaluate_year",
    "build_plan",
}
# kaohe show prints the merged documents, the first stage's own output, even of rules
# that later stages refuse: it calls assemble, and nothing after it.
COMMANDS = [p for p in sorted((ROOT / "kaohe_rules" / "cli").glob("*.py")) if p.name != "show.py"]


@pytest.mark.parametrize(
    "path", [*COMMANDS, ROOT / "kaohe_rules" / "outputs" / "testing.py"], ids=lambda p: p.name
)
def test_commands_go_through_the_pipeline(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & STAGE_FUNCTIONS
