"""Every command's output on the official rule sets and samples, byte for byte.

Written before the package was reorganised (issue 18) and kept since: a change of
code that is not meant to change results must leave every file in ``outputs/`` as it
is. A change that is meant to (a new column, a reworded message) rewrites them with
``pytest tests/snapshot --update-golden`` and shows the difference in review.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = Path(__file__).parent / "outputs"

Y23 = ["--rules", "rules/2023", "--data", "samples/2023"]
Y24 = ["--rules", "rules/2024", "--data", "samples/2024"]
H1 = ["--rules", "rules/2024", "--data", "samples/2024半年", "--period", "H1"]

# name -> (arguments, the file the command writes, if any: its suffix)
COMMANDS: dict[str, tuple[list[str], str | None]] = {
    "evaluate_2023": (["evaluate", *Y23], ".csv"),
    "evaluate_2023_json": (["evaluate", *Y23], ".json"),
    "evaluate_2023_xlsx": (["evaluate", *Y23], ".xlsx"),
    "evaluate_2023_warnings": (["evaluate", *Y23, "--warnings"], None),
    "evaluate_2023_sample": (["evaluate", "--year", "2023", "--sample"], None),
    "evaluate_2024": (["evaluate", *Y24], ".csv"),
    "evaluate_2024_json": (["evaluate", *Y24, "--format", "json"], None),
    "evaluate_2024_xlsx": (["evaluate", *Y24], ".xlsx"),
    "evaluate_2024_warnings": (["evaluate", *Y24, "--warnings"], None),
    "evaluate_2024_h1": (["evaluate", *H1, "--warnings"], ".csv"),
    "evaluate_2024_h1_xlsx": (["evaluate", *H1], ".xlsx"),
    "report_2024": (["report", *Y24], ".html"),
    "report_2023": (["report", *Y23, "--unit", "D001"], ".html"),
    "feedback_2024": (["feedback", *Y24], ".xlsx"),
    "feedback_2023": (["feedback", *Y23], ".csv"),
    "attribute_2024": (["attribute", *Y24], ".csv"),
    "attribute_2024_xlsx": (["attribute", *Y24], ".xlsx"),
    "analyze_domains_2024": (["analyze", "domains", *Y24], None),
    "analyze_indicators_2023": (["analyze", "indicators", *Y23], None),
    "analyze_trend": (
        ["analyze", "trend", "--rules-root", "rules", "--data-root", "samples", "2023", "2024"],
        None,
    ),
    "diff_2023_2024": (["diff", "rules/2023", "rules/2024"], None),
    # On 2024's data: rules/2024 aggregate 上评下 and 下评上 from the responses in
    # samples/2024/记录 (samples/2023 has none: there the 2024 rules stop with KH560).
    "diff_data": (["diff", "rules/2023", "rules/2024", "--data", "samples/2024"], None),
    "diff_data_json": (
        ["diff", "rules/2023", "rules/2024", "--data", "samples/2024", "--format", "json"],
        None,
    ),
    "test_rules": (["test", "rules/2023", "rules/2024", "--coverage"], None),
    "doc_2023": (["doc", "rules/2023"], ".html"),
    "doc_2024": (["doc", "rules/2024"], ".html"),
}
for year, options, units in (
    ("2023", Y23, ["330100", "D001", "E01", "U001", "Z001"]),
    ("2024", Y24, ["330100", "D001", "E01", "U001", "Z001"]),
):
    for unit in units:
        COMMANDS[f"explain_{year}_{unit}"] = (["explain", *options, unit], None)
COMMANDS["explain_2024_json"] = (["explain", *Y24, "330100", "--format", "json"], None)
COMMANDS["explain_2024_h1"] = (["explain", *H1, "330100"], None)
COMMANDS["explain_2024_special"] = (["explain", *Y24, "330100", "--special", "营商环境"], None)


def _run(name: str, tmp: Path) -> dict[str, bytes]:
    """What the command printed and the file it wrote, as bytes."""
    args, suffix = COMMANDS[name]
    written = tmp / f"{name}{suffix}" if suffix else None
    if written is not None:
        args = [*args, "-o", str(written)]
    cwd = os.getcwd()
    os.chdir(ROOT)  # relative paths in the arguments, as a user types them
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(cwd)
    printed = result.output.replace(str(tmp), "<输出>")
    out = {f"{name}.txt": f"exit {result.exit_code}\n{printed}".encode()}
    if written is not None:
        out[written.name] = written.read_bytes()
    return out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_unchanged(name: str, tmp_path: Path, update_golden: bool) -> None:
    produced = _run(name, tmp_path)
    for file, content in produced.items():
        expected = OUTPUTS / file
        if update_golden:
            OUTPUTS.mkdir(exist_ok=True)
            expected.write_bytes(content)
            continue
        assert expected.exists(), f"no recorded output {file}: run with --update-golden"
        if content != expected.read_bytes():
            shutil.copy(tmp_path / file if (tmp_path / file).exists() else expected, tmp_path)
            assert content == expected.read_bytes(), f"{file} changed"
