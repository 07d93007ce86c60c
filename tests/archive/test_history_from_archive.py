"""Labels that read earlier years (重点关注: 第一等次 three years running) can take those
years from the results archive instead of 历史.csv."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT


def _results(*args: str, tmp_path: Path) -> dict:
    out = tmp_path / "结果.json"
    result = CliRunner().invoke(cli, ["evaluate", "--year", "2024", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    return {"指纹": body["指纹"], **{r["编号"]: r for r in body["结果"]}}


def test_history_archive_stands_in_for_a_year_missing_from_the_csv(tmp_path: Path) -> None:
    archive = tmp_path / "归档.sqlite"
    published = CliRunner().invoke(cli, ["publish", "--year", "2023", "--archive", str(archive)])
    assert published.exit_code == 0, published.output
    # the 2024 sample data without its 2023 history rows (the engine's 2023 results)
    data = tmp_path / "2024"
    shutil.copytree(ROOT / "samples" / "2024", data)
    history = data / "历史.csv"
    lines = history.read_text(encoding="utf-8").splitlines(keepends=True)
    history.write_text("".join(x for x in lines if ",2023," not in x), encoding="utf-8")

    complete = _results(tmp_path=tmp_path)
    without = _results("--data", str(data), tmp_path=tmp_path)
    archived = _results("--data", str(data), "--history-archive", str(archive), tmp_path=tmp_path)

    def labels(rows: dict) -> dict:
        return {k: v.get("重点关注") for k, v in rows.items() if k != "指纹"}

    # without 2023 nobody has three years running; the archive gives back every label
    assert labels(without) != labels(complete)
    assert labels(archived) == labels(complete)
    assert sum(v == "是" for v in labels(complete).values()) > 0
    # what the history came from is part of the fingerprint
    assert len({without["指纹"], archived["指纹"]}) == 2


def test_history_archive_that_does_not_exist(tmp_path: Path) -> None:
    missing = str(tmp_path / "没有.sqlite")
    result = CliRunner().invoke(cli, ["evaluate", "--history-archive", missing])
    assert result.exit_code == 2 and "找不到归档文件" in result.output
