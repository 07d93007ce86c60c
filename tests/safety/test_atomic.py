"""Outputs are written atomically and inputs are never changed.

(a) a ``kaohe evaluate -o big.xlsx`` process killed (SIGKILL) at several moments leaves the
    previous file byte-identical or the new one complete; (b) a full disk (ENOSPC raised
    inside the atomic writer) gives a clear error and keeps the previous output; (c) rule and
    data files are opened read-only, keep their checksums through every command, and
    read-only input files do not stop ``evaluate``.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.safety import audit
from tests.safety.helpers import (
    GOLDEN_DATA,
    GOLDEN_RULES,
    ROOT,
    RULES_2024,
    SAMPLES_2024,
    cli_command,
    copy_inputs,
    no_traceback,
    process_env,
    run_kaohe,
    sha256_tree,
)

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".json", ".html", ".htm")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The previous file (the golden set's workbook) and the complete new one (the 429-unit
    sample year's workbook), both written normally."""
    folder = tmp_path_factory.mktemp("atomic")
    old, new = folder / "old.xlsx", folder / "new.xlsx"
    assert run_kaohe("evaluate", "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", old)[0] == 0
    assert run_kaohe("evaluate", "--rules", RULES_2024, "--data", SAMPLES_2024, "-o", new)[0] == 0
    return old.read_bytes(), new.read_bytes()


def _leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


# ---- (a) killed runs -------------------------------------------------------------------


def test_sigkill_at_random_moments_keeps_the_previous_file_or_writes_the_new_one(outputs, tmp_path):
    """Five runs killed after random delays (fixed seed) spanning start-up, loading,
    evaluation and writing. After each kill big.xlsx is either the previous bytes or the
    complete new bytes, never anything else, and nothing left in the folder looks like an
    output (a kill between the write and the rename can leave the writer's hidden
    temporary file, ``.big.xlsx.XXXXXXXX``: see the next test, which also lets a run finish)."""
    old, new = outputs
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "big.xlsx"
    shuffler = random.Random(1234)
    delays = sorted(shuffler.uniform(0.05, 2.2) for _ in range(5))
    outcomes = []
    args = ["evaluate", "--rules", RULES_2024, "--data", SAMPLES_2024, "-o", target]
    for delay in delays:
        target.write_bytes(old)
        process = subprocess.Popen(
            cli_command(*args),
            cwd=tmp_path,
            env=process_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        content = target.read_bytes()
        assert content in (old, new), f"killed after {delay:.2f}s: big.xlsx is neither"
        outcomes.append("new" if content == new else "old")
        for name in _leftovers(folder, "big.xlsx"):
            assert name.startswith(".big.xlsx."), name
            assert not name.lower().endswith(OUTPUT_SUFFIXES), name
            (folder / name).unlink()
    assert "old" in outcomes  # at least one kill landed before the rename


_STOP_BEFORE_RENAME = """
import os, signal, sys, time
# A terminal delivers Ctrl-C; a test run started in the background (a shell's `cmd &`)
# hands its children SIGINT ignored, which would make this test hang rather than test.
signal.signal(signal.SIGINT, signal.default_int_handler)
real, ready = os.replace, sys.argv[-1]
def replace(src, dst, *a, **k):
    if str(dst).endswith("big.xlsx"):
        open(ready, "w").close()  # tell the test: the new file is written, not renamed
        time.sleep(60)
    return real(src, dst, *a, **k)
os.replace = replace
sys.argv = ["kaohe", *sys.argv[1:-1]]
from kaohe_rules.cli import main
main()
"""


def test_sigkill_between_write_and_rename_leaves_only_a_hidden_temporary_file(outputs, tmp_path):
    """The worst moment, made certain: the process is stopped just before the rename and
    killed. The previous big.xlsx is intact; what is left is the writer's complete
    temporary file, named ``.big.xlsx.<random>`` (hidden, no output suffix), which a
    SIGKILLed process cannot remove. A later run succeeds beside it."""
    old, new = outputs
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "big.xlsx"
    target.write_bytes(old)
    ready = tmp_path / "ready"
    args = ["evaluate", "--rules", RULES_2024, "--data", SAMPLES_2024, "-o", target]
    process = subprocess.Popen(
        [sys.executable, "-c", _STOP_BEFORE_RENAME, *map(str, args), str(ready)],
        cwd=tmp_path,
        env=process_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert target.read_bytes() == old
    left = _leftovers(folder, "big.xlsx")
    assert len(left) == 1 and left[0].startswith(".big.xlsx."), left
    assert not left[0].lower().endswith(OUTPUT_SUFFIXES)
    assert (folder / left[0]).read_bytes() == new  # complete, but never renamed
    code, _out, err = run_kaohe(*args)
    assert code == 0, err
    assert target.read_bytes() == new


def test_ctrl_c_before_the_rename_removes_the_temporary_file(outputs, tmp_path):
    """SIGINT (Ctrl-C) at the same worst moment: the run stops with 已中止 and no traceback,
    the previous big.xlsx is intact and the temporary file is removed."""
    old, _new = outputs
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "big.xlsx"
    target.write_bytes(old)
    ready = tmp_path / "ready"
    args = ["evaluate", "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", target]
    process = subprocess.Popen(
        [sys.executable, "-c", _STOP_BEFORE_RENAME, *map(str, args), str(ready)],
        cwd=tmp_path,
        env=process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert "已中止" in err and no_traceback(err), err
    assert target.read_bytes() == old
    assert _leftovers(folder, "big.xlsx") == []


# ---- (b) disk full ---------------------------------------------------------------------


class _FullDisk:
    """A file object from os.fdopen whose write stores half the bytes, then fails as a
    full disk does."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        self.stream.write(data[: len(data) // 2])
        self.stream.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stream.close()


def _fail_at(monkeypatch, where: str) -> None:
    """ENOSPC from inside kaohe_rules.outputs.report.write_atomically (the writer behind every -o):
    at the write of the temporary file, at its fsync, or at the rename."""
    from kaohe_rules.outputs import report

    def enospc(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "write":
        real = report.os.fdopen
        monkeypatch.setattr(report.os, "fdopen", lambda *a, **k: _FullDisk(real(*a, **k)))
    elif where == "fsync":
        monkeypatch.setattr(report.os, "fsync", enospc)
    else:
        monkeypatch.setattr(report.os, "replace", enospc)


COMMANDS = [
    ("evaluate", "结果.xlsx"),
    ("evaluate", "结果.csv"),
    ("evaluate", "结果.json"),
    ("feedback", "问题清单.xlsx"),
    ("report", "报告.html"),
]


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
@pytest.mark.parametrize(("command", "name"), COMMANDS)
def test_disk_full_keeps_the_previous_output_and_says_so(
    monkeypatch, tmp_path, where, command, name
):
    target = tmp_path / name
    previous = "上一次的输出\n".encode() * 100
    target.write_bytes(previous)
    _fail_at(monkeypatch, where)
    code, out, err = run_kaohe(
        command, "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", target
    )
    assert code == 2, (code, out, err)  # documented: 2 for usage and I/O errors
    assert no_traceback(err), err
    assert str(target) in err and "磁盘空间不足" in err, err
    assert target.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


def test_disk_full_error_carries_a_stable_error_code(monkeypatch, tmp_path):
    """Every problem carries a stable KH code (docs/errors.md); a failed -o write is shown
    as click's usage error "Invalid value for '-o'" with no code (the archive has KH406)."""
    target = tmp_path / "结果.xlsx"
    _fail_at(monkeypatch, "write")
    code, _out, err = run_kaohe(
        "evaluate", "--rules", GOLDEN_RULES, "--data", GOLDEN_DATA, "-o", target
    )
    assert code == 2
    assert "Invalid value" not in err, err
    assert __import__("re").search(r"\bKH\d{3}\b", err), err


def test_disk_full_while_fmt_rewrites_a_rule_file(monkeypatch, tmp_path):
    """``kaohe fmt`` writes rule files with the same atomic writer; a full disk there must
    be a clear error (exit 2, the file and the reason), not an internal error (exit 3)."""
    rules = copy_inputs(GOLDEN_RULES, tmp_path / "rules")
    domain = rules / "甲.yaml"
    domain.write_text(
        domain.read_text(encoding="utf-8").replace("领域: 甲\n", "领域:    甲\n"), encoding="utf-8"
    )
    before = domain.read_bytes()
    assert run_kaohe("fmt", "--check", rules)[0] == 1  # the file needs formatting
    _fail_at(monkeypatch, "fsync")
    code, _out, err = run_kaohe("fmt", rules)
    assert domain.read_bytes() == before  # this part holds today
    assert sorted(p.name for p in rules.iterdir()) == sorted(p.name for p in GOLDEN_RULES.iterdir())
    assert no_traceback(err), err
    assert code == 2 and "甲.yaml" in err and "磁盘空间不足" in err, (code, err)


# ---- (c) inputs are read-only ----------------------------------------------------------


@pytest.fixture
def inputs(tmp_path):
    """Copies of the golden rules and data (the commands must not change them either)."""
    rules = copy_inputs(GOLDEN_RULES, tmp_path / "in" / "rules")
    data = copy_inputs(GOLDEN_DATA, tmp_path / "in" / "data")
    return rules, data


def _runs(rules: Path, data: Path, out: Path) -> list[list]:
    common = ["--rules", rules, "--data", data]
    return [
        ["evaluate", *common],
        ["evaluate", *common, "-o", out / "结果.xlsx"],
        ["evaluate", *common, "-o", out / "结果.csv"],
        ["evaluate", *common, "-o", out / "结果.json"],
        ["explain", "甲一", *common],
        ["feedback", *common, "-o", out / "问题清单.xlsx"],
        ["report", *common, "-o", out / "报告.html"],
        ["publish", *common, "--archive", out / "归档.sqlite"],
        ["fmt", "--check", rules],
        ["validate", rules],
    ]


def test_inputs_are_opened_read_only_and_never_change(inputs, tmp_path):
    rules, data = inputs
    folder = rules.parent
    out = tmp_path / "out"
    out.mkdir()
    before = sha256_tree(folder)
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    for args in _runs(rules, data, out):
        with audit.recording() as events:
            code, _out, err = run_kaohe(*args)
        assert code in (0, 1), (args, err)  # fmt --check may ask for formatting: exit 1
        assert no_traceback(err), err
        assert audit.changed_under(events, folder) == [], args
        assert any(p.startswith(str(folder)) for p in audit.opened(events)), args
        assert sha256_tree(folder) == before, args
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == stamps


def test_sample_year_inputs_keep_their_checksums(tmp_path):
    """The bundled 2024 rules (with the 2023 rules they extend) and samples: every file's
    sha256 is the same after evaluate, feedback and report have read them."""
    rules_root = ROOT / "rules"
    before = sha256_tree(rules_root), sha256_tree(SAMPLES_2024)
    common = ["--rules", RULES_2024, "--data", SAMPLES_2024]
    for args in (
        ["evaluate", *common, "-o", tmp_path / "a.csv"],
        ["feedback", *common, "-o", tmp_path / "b.xlsx"],
        ["report", *common, "-o", tmp_path / "c.html"],
    ):
        with audit.recording() as events:
            code, _out, err = run_kaohe(*args)
        assert code == 0, err
        assert audit.changed_under(events, rules_root) == []
        assert audit.changed_under(events, SAMPLES_2024) == []
    assert (sha256_tree(rules_root), sha256_tree(SAMPLES_2024)) == before


@pytest.mark.parametrize("which", ["data", "rules"])
def test_output_onto_an_input_file_is_refused(inputs, which):
    """``-o`` naming one of the run's own input files (a data CSV, a rule file) must be
    refused before anything is written; today the input is silently replaced."""
    rules, data = inputs
    victim = data / "数据.csv" if which == "data" else rules / "甲.yaml"
    suffix = ".csv" if which == "data" else ".json"
    if which == "rules":  # -o accepts only .csv/.json/.xlsx: make the rule file one of them
        victim = victim.rename(victim.with_suffix(".json"))
        target_rules = rules / "规则集.yaml"
        target_rules.write_text(
            target_rules.read_text(encoding="utf-8").replace("甲: 甲.yaml", "甲: 甲.json"),
            encoding="utf-8",
        )
        assert run_kaohe("validate", rules)[0] == 0  # a JSON file is YAML too
    assert victim.suffix == suffix
    before = victim.read_bytes()
    code, _out, err = run_kaohe("evaluate", "--rules", rules, "--data", data, "-o", victim)
    assert victim.read_bytes() == before, "the input file was overwritten by the output"
    assert code == 2 and no_traceback(err), (code, err)


def test_read_only_inputs_do_not_stop_evaluate(inputs, tmp_path):
    """Input files chmod 444 and their folders 555. (The tests may run as root, for whom
    permission bits do not refuse a write; the audit above is what proves no write is
    attempted, this proves no command insists on write access.)"""
    rules, data = inputs
    expected = run_kaohe("evaluate", "--rules", rules, "--data", data)
    files = [p for p in rules.parent.rglob("*") if p.is_file()]
    folders = [rules.parent, rules, data]
    for path in files:
        path.chmod(0o444)
    for path in folders:
        path.chmod(0o555)
    try:
        assert run_kaohe("evaluate", "--rules", rules, "--data", data) == expected
        code, _out, err = run_kaohe(
            "evaluate", "--rules", rules, "--data", data, "-o", tmp_path / "r.xlsx"
        )
        assert code == 0, err
        assert run_kaohe("fmt", "--check", rules)[0] in (0, 1)
        assert run_kaohe("validate", rules)[0] == 0
    finally:
        for path in folders:
            path.chmod(0o755)
        for path in files:
            path.chmod(0o644)
    assert expected[0] == 0
