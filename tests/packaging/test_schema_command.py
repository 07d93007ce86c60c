"""``kaohe schema -o DIR``: a rules repository's own copy of the JSON Schemas.

The copy must stand on its own: every ``$ref`` resolves inside the folder written, and
the repository's rule files, pointing their ``$schema`` comments at it, validate.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kaohe_rules.cli import cli
from tests.conftest import ROOT


def _kaohe(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rules repository: the bundled years at its top, no schemas of its own yet."""
    for year in ("2023", "2024"):
        shutil.copytree(ROOT / "rules" / year, tmp_path / year)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validator(folder: Path, name: str) -> Draft202012Validator:
    """A validator for ``name`` that can reach only the schemas in ``folder``."""
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    return Draft202012Validator(json.loads((folder / name).read_text("utf-8")), registry=registry)


def _point_at(file: Path, schemas: Path) -> Path:
    """Rewrite ``file``'s first line to name its schema in ``schemas``; that schema."""
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    name = lines[0].split("=", 1)[1].strip().rsplit("/", 1)[1]
    relative = Path(*[".."] * len(file.parent.relative_to(schemas.parent).parts), schemas.name)
    lines[0] = f"# yaml-language-server: $schema={relative.as_posix()}/{name}\n"
    file.write_text("".join(lines), encoding="utf-8")
    return (file.parent / relative / name).resolve()


def test_the_schemas_written_are_the_shipped_ones(repo: Path) -> None:
    result = _kaohe("schema", "-o", "schemas")
    assert result.exit_code == 0, result.output
    shipped = sorted(p.name for p in (ROOT / "schemas").glob("*.schema.json"))
    assert sorted(p.name for p in (repo / "schemas").iterdir()) == shipped
    assert len(shipped) == 6
    for name in shipped:
        assert (repo / "schemas" / name).read_bytes() == (ROOT / "schemas" / name).read_bytes()
        assert f"{name}" in result.stdout
    assert "ruleset.schema.json  已写出  规则集.yaml" in result.stdout


def test_the_repository_files_validate_against_the_copy(repo: Path) -> None:
    assert _kaohe("schema", "-o", "schemas").exit_code == 0
    files = sorted(p for year in ("2023", "2024") for p in (repo / year).rglob("*.yaml"))
    assert len(files) > 10
    for file in files:
        schema = _point_at(file, repo / "schemas")
        assert schema.is_file(), (file, schema)
        if file.parts[-2] == "2024":  # merge patches on 2023: whole only once merged
            continue
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        errors = list(_validator(repo / "schemas", schema.name).iter_errors(document))
        assert errors == [], (file, errors[:1])
    # and a wrong key is caught by the copy alone
    broken = yaml.safe_load((repo / "2023" / "市县.yaml").read_text(encoding="utf-8"))
    broken["考卷"]["党建"]["权重值"] = 30
    assert list(_validator(repo / "schemas", "domain.schema.json").iter_errors(broken))
    # kaohe itself accepts the files with their new comments
    assert _kaohe("validate", "2023", "2024").exit_code == 0


def test_check_says_what_differs(repo: Path) -> None:
    assert _kaohe("schema", "-o", "schemas").exit_code == 0
    same = _kaohe("schema", "-o", "schemas", "--check")
    assert same.exit_code == 0
    assert "与 kaohe" in same.stdout and "的相同" in same.stdout
    (repo / "schemas" / "tests.schema.json").unlink()
    with (repo / "schemas" / "domain.schema.json").open("a", encoding="utf-8") as file:
        file.write("\n")
    differ = _kaohe("schema", "-o", "schemas", "--check")
    assert differ.exit_code == 1
    assert "schemas/domain.schema.json：不同" in differ.stdout
    assert "schemas/tests.schema.json：缺少" in differ.stdout
    assert not (repo / "schemas" / "tests.schema.json").exists()  # --check writes nothing
    again = _kaohe("schema", "-o", "schemas")
    assert "domain.schema.json   已写出" in again.stdout
    assert "roster.schema.json   未变" in again.stdout
    assert _kaohe("schema", "-o", "schemas", "--check").exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        ((), "KH506", "缺少选项 -o/--output"),
        (("-o", ""), "KH507", "文件夹名是空的"),
        (("-o", "2023/规则集.yaml"), "KH514", "不是文件夹"),
        (("-o", "无此处/schemas"), "KH513", "上一级文件夹 无此处 不存在"),
        (("-o", "无此处", "--check"), "KH513", "找不到文件夹 无此处"),
    ],
    ids=["no-o", "empty", "a-file", "no-parent", "check-missing"],
)
def test_bad_folders_are_usage_errors(repo: Path, args: tuple, code: str, said: str) -> None:
    result = _kaohe("schema", *args)
    assert result.exit_code == 2
    assert f"error {code}" in result.stderr
    assert said in result.stderr
    assert not (repo / "无此处").exists()
