"""The workbench's JSON answers equal what the commands say: diagnostics those of `kaohe
validate`, the impact that of `kaohe diff --data`, the inheritance that of `kaohe diff`, the
results and explanations those of `kaohe evaluate` and `kaohe explain`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kaohe_rules.workbench.serve.app import create_app
from kaohe_rules.workbench.serve.security import Guard
from kaohe_rules.workbench.serve.workspace import Workspace
from tests.serve.workbench import REPO, SAMPLES, diff_json, scratch_root, validate_json

FILE = "2024/市县.yaml"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = scratch_root(tmp_path_factory.mktemp("api"))
    guard = Guard("127.0.0.1", 8765, None)
    http = TestClient(create_app(Workspace(root, SAMPLES), guard), base_url="http://127.0.0.1:8765")
    http.headers["X-Kaohe-CSRF"] = guard.csrf
    return root, http


def _edited(root: Path, tmp: Path, text: str) -> Path:
    copy = tmp / "edited"
    shutil.copytree(root, copy)
    (copy / FILE).write_text(text, encoding="utf-8")
    return copy


def test_diagnostics_are_those_of_kaohe_validate(served, tmp_path: Path) -> None:
    root, http = served
    text = (root / FILE).read_text(encoding="utf-8").replace("  发展:\n", "  发展:\n    权重: 50\n")
    found = http.post("/api/diagnose", json={"路径": FILE, "文本": text}).json()["问题"]
    copy = _edited(root, tmp_path, text)
    told = validate_json(copy, "2024")
    assert [(p["代码"], p["位置"]["文件"], p["位置"]["行"], p["位置"]["列"]) for p in found] == [
        (d["code"], Path(d["file"]).relative_to(copy).as_posix(), d["line"], d["column"])
        for d in told
    ]
    assert "KH225" in {p["代码"] for p in found}
    clean = http.post("/api/diagnose", json={"路径": FILE, "文本": (root / FILE).read_text()})
    assert clean.json()["问题"] == []


def test_the_impact_is_that_of_kaohe_diff_with_data(served, tmp_path: Path) -> None:
    root, http = served
    text = (root / FILE).read_text(encoding="utf-8").replace("目标值: 5.5%", "目标值: 9%", 1)
    found = http.post("/api/impact?ruleset=2024", json={"路径": FILE, "文本": text}).json()
    told = diff_json(root / "2024", _edited(root, tmp_path, text) / "2024")
    assert found["影响"] == told["影响"]
    assert found["名次变化最大"] == told["名次变化最大"]
    assert [(c["对象"], c["原"], c["新"]) for c in found["变化"]] == [
        (c["对象"], c["原"], c["新"]) for c in told["变化"]
    ]
    assert found["变化"][0]["新出处链接"] == {"文件": FILE, "行": 13}
    assert found["影响"]  # the target moves units across tiers


def test_an_edit_that_breaks_the_rules_has_no_impact_but_its_problems(served) -> None:
    root, http = served
    text = (root / FILE).read_text(encoding="utf-8") + "考卷: [\n"
    found = http.post("/api/impact?ruleset=2024", json={"路径": FILE, "文本": text}).json()
    assert found["有错误"] is True
    assert found["问题"][0]["代码"] == "KH201"


def test_the_inheritance_is_kaohe_diff_of_the_parent(served) -> None:
    root, http = served
    found = http.get("/api/inheritance?ruleset=2024").json()
    told = diff_json(root / "2023", root / "2024")
    assert found["上一级"] == "2023"
    assert [c["对象"] for c in found["变化"]] == [c["对象"] for c in told["变化"]]


def test_results_and_an_explanation_are_those_of_the_commands(served) -> None:
    root, http = served
    results = http.get("/api/results?ruleset=2024").json()
    assert len(results["行"]) == 429
    assert results["表头"][:4] == ["编号", "名称", "领域", "类别"]
    found = http.get("/api/explain?ruleset=2024&unit=330100").json()
    command = [sys.executable, str(REPO / "cli.py"), "explain", "--rules", str(root / "2024")]
    told = subprocess.run(
        [*command, "--data", str(SAMPLES), "330100"], capture_output=True, text=True, check=True
    )
    assert found["文本"] == told.stdout.rstrip("\n")
    assert set(found["链接"].values()) >= {"2023/市县.yaml", "2024/市县.yaml"}


def test_completion_and_hover_come_from_the_editing_services(served) -> None:
    root, http = served
    text = (root / FILE).read_text(encoding="utf-8")
    # A new line inside 研发投入强度, which writes only 满分: the other keys of an indicator.
    blank = text.replace("        满分: 6\n", "        满分: 6\n        \n", 1)
    at = blank.index("        满分: 6\n        \n") + len("        满分: 6\n        ")
    keys = http.post("/api/complete", json={"路径": FILE, "文本": blank, "位置": at}).json()
    labels = {c["标签"] for c in keys["候选"]}
    assert {"计分方法", "目标值"} <= labels
    assert "满分" not in labels
    # Inside a formula: the names it may read.
    older = (root / "2023/市县.yaml").read_text(encoding="utf-8")
    at = older.index("党建评分 / 100") + 2
    names = http.post("/api/complete", json={"路径": "2023/市县.yaml", "文本": older, "位置": at})
    assert {"党建评分", "unit.山区县"} <= {c["标签"] for c in names.json()["候选"]}
    where = text.index("新质生产力发展指数") + 2
    shown = http.post("/api/hover", json={"路径": FILE, "文本": text, "位置": where}).json()
    assert shown["说明"] and "新质生产力发展指数" in shown["说明"]


def test_a_rule_set_folder_as_the_root_reads_its_parent_and_writes_only_itself(
    tmp_path: Path,
) -> None:
    """kaohe serve rules/2024: 2024 inherits ../2023, which is read (as kaohe validate
    rules/2024 reads it) but neither listed nor opened nor written."""
    whole = scratch_root(tmp_path)
    guard = Guard("127.0.0.1", 8765, None)
    workspace = Workspace(whole / "2024", SAMPLES)
    http = TestClient(create_app(workspace, guard), base_url="http://127.0.0.1:8765")
    http.headers["X-Kaohe-CSRF"] = guard.csrf
    tree = http.get("/api/tree").json()
    assert [r["名称"] for r in tree["规则集"]] == ["2024"]
    assert {"路径": "市县.yaml", "名称": "市县.yaml"} in tree["规则集"][0]["文件"]
    saved = (whole / FILE).read_text(encoding="utf-8")
    text = saved.replace("  发展:\n", "  发展:\n    权重: 50\n")
    found = http.post("/api/diagnose", json={"路径": "市县.yaml", "文本": text}).json()["问题"]
    places = {(p["代码"], p["位置"]["文件"], p["位置"]["行"]) for p in found}
    assert ("KH225", "市县.yaml", 43) in places
    assert ("KH225", None, 15) in places  # in 2023/市县.yaml: shown, not linked
    assert http.get("/api/file", params={"path": "../2023/市县.yaml"}).status_code == 403
    assert len(http.get("/api/results?ruleset=2024").json()["行"]) == 429
    # A change of the inherited year on disk is seen, though it lies outside the root.
    older = whole / "2023" / "市县.yaml"
    older.write_text(older.read_text(encoding="utf-8").replace("    权重: 30\n", "    权重: 35\n"))
    failed = http.get("/api/results?ruleset=2024")
    assert failed.status_code == 422
    assert "KH225" in {p["代码"] for p in failed.json()["问题"]}
    page = http.get("/api/manual?ruleset=2024")
    assert page.status_code == 422
    assert "规则有错误" in page.text and "KH225" in page.text
