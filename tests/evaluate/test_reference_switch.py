"""The documented switch to the reference path (docs/evaluate.md): KAOHE_REFERENCE=1 runs
scoring without its speed techniques, and the command prints exactly what it prints
without it."""

from __future__ import annotations

import os
import re
import shlex

from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.score import fast
from kaohe_rules.score.engine import reference_requested
from tests.conftest import ROOT


def _fast_paths_built(monkeypatch) -> list:
    """The FastPath seams built from now on (the reference path builds none)."""
    built = []
    made = fast.FastPath.__init__

    def spy(self, *given):
        built.append(self)
        made(self, *given)

    monkeypatch.setattr(fast.FastPath, "__init__", spy)
    return built


def _documented() -> list[str]:
    text = (ROOT / "docs" / "evaluate.md").read_text(encoding="utf-8")
    (line,) = re.findall(r"^KAOHE_REFERENCE=1 kaohe (.+)$", text, re.M)
    return shlex.split(line)


def test_the_documented_reference_run_prints_what_the_fast_run_prints(monkeypatch) -> None:
    args = _documented()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        monkeypatch.delenv("KAOHE_REFERENCE", raising=False)
        usual = CliRunner().invoke(cli, args, catch_exceptions=False)
        seams = _fast_paths_built(monkeypatch)
        monkeypatch.setenv("KAOHE_REFERENCE", "1")
        assert reference_requested()
        reference = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert not seams  # the fast path was never built: the reference ran alone
    finally:
        os.chdir(cwd)
    assert usual.exit_code == reference.exit_code == 0
    assert "共 429 个考核对象" in usual.output
    assert reference.output == usual.output


def test_only_a_set_value_asks_for_the_reference(monkeypatch) -> None:
    for value, wanted in (("", False), ("0", False), ("1", True), ("yes", True)):
        monkeypatch.setenv("KAOHE_REFERENCE", value)
        assert reference_requested() is wanted


def test_the_pipeline_takes_the_switch_as_an_argument(monkeypatch) -> None:
    """A library caller of the pipeline chooses the path without the environment."""
    from kaohe_rules import pipeline

    monkeypatch.delenv("KAOHE_REFERENCE", raising=False)
    built = _fast_paths_built(monkeypatch)
    golden = ROOT / "tests" / "golden" / "evaluate"
    reference = pipeline.run_year(golden / "rules", golden / "data", fast=False)
    assert not built
    usual = pipeline.run_year(golden / "rules", golden / "data")
    assert built  # not vacuous: the fast path was built by default
    for one, other in zip(reference.domains, usual.domains, strict=True):
        assert one.total.tobytes() == other.total.tobytes()
        assert one.tier.tolist() == other.tier.tolist()
    assert reference.fingerprint == usual.fingerprint
