"""The sdist carries everything the wheel does: a wheel built from it equals the wheel
built from the checkout, installs, and runs the README's first command.

``python -m build`` makes the sdist, then the wheel from the unpacked sdist, as a release
(or a distribution that rebuilds from source) does. Each build sets up an isolated
environment with hatchling, so the test takes some seconds.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("build") is None, reason="build is in the test extra"
)


def _build(*args: str, out: Path) -> Path:
    command = [sys.executable, "-m", "build", *args, "--outdir", str(out), str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


def _contents(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _first_command() -> list[str]:
    """The kaohe command of the README's first set-up line (``… && .venv/bin/kaohe …``)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    line = next(x for x in block.splitlines() if x.strip() and not x.startswith("#"))
    assert "pip install . " in line, line  # installed from the source, as here
    return line.split("bin/kaohe", 1)[1].split()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dist")
    from_sdist = _build(out=base / "from-sdist")  # sdist, then the wheel from it
    return {
        "sdist": next((base / "from-sdist").glob("*.tar.gz")),
        "from sdist": from_sdist,
        "from checkout": _build("--wheel", out=base / "from-checkout"),
    }


@pytest.fixture(scope="module")
def installed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the sdist, installed without its dependencies (this test's
    interpreter has them) into a folder of its own."""
    target = tmp_path_factory.mktemp("site") / "site-packages"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    done = subprocess.run([*pip, str(target), str(built["from sdist"])], capture_output=True)
    assert done.returncode == 0, done.stderr
    return target


def _kaohe(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target), "LANG": "C.UTF-8"}
    env.pop("KAOHE_REFERENCE", None)
    command = [str(target / "bin" / "kaohe"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_from_the_sdist_is_the_wheel_from_the_checkout(built) -> None:
    from_sdist, from_checkout = _contents(built["from sdist"]), _contents(built["from checkout"])
    assert sorted(from_sdist) == sorted(from_checkout)
    assert [n for n in from_sdist if from_sdist[n] != from_checkout[n]] == []
    shipped = {n.split("/")[2] for n in from_sdist if n.startswith("kaohe_rules/_data/")}
    assert shipped == {"grammar", "schemas", "rules", "samples"}  # not vacuous


def test_the_sdist_has_no_stray_files(built) -> None:
    """Anchored include patterns: samples/README.md comes with samples/, not because
    every file named README.md matched."""
    import tarfile

    with tarfile.open(built["sdist"]) as archive:
        tops = {Path(n).parts[1] for n in archive.getnames() if len(Path(n).parts) > 1}
    assert {"samples", "rules", "tests", "scripts", ".pre-commit-hooks.yaml"} <= tops
    assert not tops & {".git", ".venv", ".ci", "build", "dist"}


def test_the_wheel_carries_the_workbench_and_the_sdist_its_sources(built) -> None:
    """kaohe serve works offline: its page and the built CodeMirror bundle are package
    files; the sdist has workbench-ui/ to rebuild the bundle, without node_modules."""
    import tarfile

    names = _contents(built["from sdist"])
    for name in ("index.html", "app.js", "app.css", "editor.js", "editor.LICENSES.txt"):
        assert f"kaohe_rules/workbench/serve/static/{name}" in names, name
    with tarfile.open(built["sdist"]) as archive:
        ui = {"/".join(Path(n).parts[2:]) for n in archive.getnames() if "/workbench-ui/" in n}
    assert {"package.json", "package-lock.json", "src/editor.js"} <= ui
    assert not any(n.startswith("node_modules") for n in ui)


def test_the_installed_wheel_runs_the_readme_command(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import kaohe_rules; print(kaohe_rules.__file__)"],
        env={**os.environ, "PYTHONPATH": str(installed)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)  # not this checkout
    command = _first_command()
    assert command == ["evaluate"]
    done = _kaohe(installed, tmp_path, *command)
    assert done.returncode == 0, done.stderr
    assert "共 429 个考核对象 · 2024 年度" in done.stdout
    assert "数据：内置的合成示例数据（并非真实考核数据）" in done.stdout


def test_explain_cites_the_bundled_rules_by_their_own_path(installed: Path) -> None:
    """Run from the folder above the installation (as from a venv's folder): the rules
    are cited as rules/2023/市县.yaml, never by the path they are installed at."""
    done = _kaohe(installed, installed.parent, "explain", "淳安县")
    assert done.returncode == 0, done.stderr
    cited = re.findall(r"〔([^〕]+)〕", done.stdout)
    assert len(cited) > 20
    assert "rules/2023/市县.yaml:15" in cited
    assert all(re.fullmatch(r"rules/202[34]/\S+\.yaml:\d+", c) for c in cited), cited
    assert "site-packages" not in done.stdout and "_data" not in done.stdout


def test_explain_cites_the_users_own_rules(installed: Path, tmp_path: Path) -> None:
    """A copy of the bundled rules elsewhere is cited where it is, not as the bundled."""
    import shutil

    mine = tmp_path / "我的规则"
    for year in ("2023", "2024"):
        shutil.copytree(installed / "kaohe_rules" / "_data" / "rules" / year, mine / year)
    samples = installed / "kaohe_rules" / "_data" / "samples" / "2024"
    args = ("explain", "淳安县", "--rules", "我的规则/2024", "--data", str(samples))
    done = _kaohe(installed, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "〔我的规则/2023/市县.yaml:15〕" in done.stdout
    assert "〔rules/" not in done.stdout
    outside = _kaohe(installed, installed, *args[:2], "--rules", str(mine / "2024"), *args[4:])
    assert f"〔{mine}/2023/市县.yaml:15〕" in outside.stdout
