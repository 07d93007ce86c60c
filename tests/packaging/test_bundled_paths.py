"""How messages and explanations name a rule file, with kaohe installed somewhere.

The installation is simulated: kaohe_rules.resources is pointed at a package folder in a
venv-like tree holding _data/rules and _data/samples, as the wheel lays them out
(tests/packaging/test_sdist.py checks the same on a real installed wheel).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe_rules import resources
from kaohe_rules.source import display_path


@pytest.fixture
def venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "kaohe_rules"
    for part in ("rules/2024/专项", "samples/2024"):
        (package / "_data" / part).mkdir(parents=True)
    (package / "_data" / "rules" / "2024" / "市县.yaml").write_text("领域: 市县\n", "utf-8")
    monkeypatch.setattr(resources, "_PACKAGE", package)
    return tmp_path / "venv"


def _bundled(venv: Path, *parts: str) -> Path:
    return venv.joinpath("lib", "python3.11", "site-packages", "kaohe_rules", "_data", *parts)


@pytest.mark.parametrize("cwd", ["venv", "above", "elsewhere"])
def test_bundled_files_are_named_from_the_bundled_folder(
    venv: Path, cwd: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folders = {"venv": venv, "above": tmp_path, "elsewhere": tmp_path / "work"}
    folders["elsewhere"].mkdir()
    monkeypatch.chdir(folders[cwd])
    assert display_path(_bundled(venv, "rules", "2024", "市县.yaml")) == "rules/2024/市县.yaml"
    assert display_path(_bundled(venv, "rules", "2024", "专项")) == "rules/2024/专项"
    assert display_path(_bundled(venv, "samples", "2024")) == "samples/2024"


def test_the_users_own_files_keep_their_own_names(
    venv: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mine = tmp_path / "work" / "rules" / "2024"
    mine.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    # a folder called rules/ in the working folder is the user's, not the bundled
    assert display_path(mine / "市县.yaml") == "rules/2024/市县.yaml"
    assert display_path(Path("rules/2024/市县.yaml")) == "rules/2024/市县.yaml"
    monkeypatch.chdir(venv)
    assert display_path(mine / "市县.yaml") == str(mine / "市县.yaml")
