"""Rule files are data: no YAML construct and no expression can read files, import
modules, run commands or reach the network.

Each case is the golden rule set (tests/golden/evaluate/rules) copied to tmp_path with one
hostile edit. ``kaohe evaluate`` on it must stop with a clear error — a stable KH code at
the file, line and column of the edit, no traceback — and, while the rules were loaded
(and, where they load, evaluated), a canary shows nothing happened: the file the payload
would create does not exist, os.system / subprocess / socket were not called (they are
replaced by recorders), and the audit hook saw no command, socket or ctypes event and no
file opened outside the inputs, the package and the interpreter.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.safety import audit
from tests.safety.helpers import GOLDEN_DATA, GOLDEN_RULES, ROOT, no_traceback, run_kaohe

CANARY = "CANARY"  # a payload that ran would create tmp_path/CANARY

# (name, file, text replaced, hostile text, expected code, expected line:column)
# {canary} in the hostile text is the canary's absolute path.
YAML_CASES = [
    ("python-object-apply", "规则集.yaml", "名称: 黄金测试",
     '名称: !!python/object/apply:os.system ["touch {canary}"]', "KH201", "4:5"),
    ("python-object-new", "规则集.yaml", "名称: 黄金测试",
     '名称: !!python/object/new:subprocess.Popen [["touch", "{canary}"]]', "KH201", "4:5"),
    ("python-name", "规则集.yaml", "名称: 黄金测试",
     "名称: !!python/name:os.system", "KH201", "4:5"),
    ("python-module", "规则集.yaml", "名称: 黄金测试", "名称: !!python/module:os", "KH201", "4:5"),
    ("python-tuple-key", "规则集.yaml", "名称: 黄金测试",
     "名称: 黄金测试\n? !!python/tuple [a, b]\n: 1", "KH201", "5:3"),
    ("include", "规则集.yaml", "名称: 黄金测试", "名称: !include /etc/passwd", "KH201", "4:5"),
    ("custom-tag", "甲.yaml", "计分: 基础分 / 100 * 权重", "计分: !expr 基础分", "KH201", "9:9"),
    ("tag-directive", "规则集.yaml", "名称: 黄金测试",
     '名称: !py!object/apply:os.system ["touch {canary}"]', "KH201", "6:5"),
    ("tagged-mapping", "名单.yaml", "属性:",
     "属性: !!python/object/apply:os.system", "KH201", "3:5"),
    ("binary", "规则集.yaml", "名称: 黄金测试", "名称: !!binary aGVsbG8=", "KH212", "4:5"),
    ("timestamp", "规则集.yaml", "名称: 黄金测试", "名称: !!timestamp 2024-01-01", "KH212", "4:5"),
    ("set", "规则集.yaml", "名称: 黄金测试", "名称: !!set {a, b}", "KH212", "4:5"),
    ("merge-key", "甲.yaml", "      增速: {满分: 30, 计分方法: 线性, 目标值: 10, 下限值: 0}",
     "      增速: &base {满分: 30, 计分方法: 线性, 目标值: 10, 下限值: 0}\n"
     "      增速2: {<<: *base}", "KH211", "14:13"),  # not a merge key: a plain key
    ("explicit-merge", "甲.yaml", "      增速: {满分: 30, 计分方法: 线性, 目标值: 10, 下限值: 0}",
     "      增速: &base {满分: 30, 计分方法: 线性, 目标值: 10, 下限值: 0}\n"
     "      增速2: {!!merge <<: *base}", "KH224", "10:3"),  # honoured as a plain data merge
]  # fmt: skip

# Expressions go where the rule set derives the label 先进单位 (规则集.yaml line 33), where
# unit.… and history(n).… are in scope, written as a single-quoted YAML scalar so that the
# expression starts at column 12. (id, expression, code, index of the reported character)
LABEL = '先进单位: 等次 == "第一等次" and 班子等次 == "优秀"'
LONG_NAME = "变" * 5000
EXPRESSION_CASES = [
    ("__import__", '__import__("os").system("touch {canary}")', "KH101", 23),
    ("__import__-call", '__import__("os") == 1', "KH111", 0),
    ("open", 'open("/etc/passwd") == ""', "KH111", 0),
    ("eval", 'eval("1 + 1") == 2', "KH111", 0),
    ("exec", 'exec("import os")', "KH111", 0),
    ("globals", "globals()", "KH111", 0),
    ("getattr", 'getattr(unit, "__class__")', "KH111", 0),
    ("unit.__class__", "unit.__class__", "KH112", 0),
    ("history.__dict__", "history(1).__dict__", "KH112", 0),
    ("history.__class__.__mro__", "history(1).__class__.__mro__", "KH112", 0),
    ("text.__class__", "unit.编号.__class__", "KH112", 0),
    ("number.__class__", "(1).__class__", "KH112", 1),
    ("__builtins__", "__builtins__", "KH110", 0),
    ("dunder-name", "__class__", "KH110", 0),
    ("subscript", 'unit["__class__"]', "KH101", 4),
    ("os.system", 'os.system("touch {canary}")', "KH101", 9),
    ("f-string", 'f"{unit.__class__}"', "KH101", 1),
    ("percent-format", '"%s" % unit.编号', "KH104", 5),
    ("backticks", "`touch {canary}`", "KH104", 0),
    ("shell", "$(touch {canary})", "KH104", 0),
    ("lambda", "lambda: 1", "KH104", 6),
    ("comprehension", "[x for x in unit]", "KH101", 3),
    ("long-identifier", LONG_NAME, "KH110", 0),
    ("too-long", "变" * 20000, "KH140", 0),
]


def _hostile(tmp_path: Path, file: str, old: str, new: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN_RULES, rules)
    path = rules / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    new = new.replace("{canary}", str(tmp_path / CANARY))
    if new.startswith("名称: !py!"):
        text = "%TAG !py! tag:yaml.org,2002:python/\n---\n" + text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return rules


@pytest.fixture
def guarded(monkeypatch):
    """os.system, os.popen, subprocess.Popen and socket.socket replaced by recorders."""
    calls: list[tuple] = []

    def recorder(name):
        def record(*args, **kwargs):
            calls.append((name, args))
            raise AssertionError(f"{name} called by the engine")

        return record

    monkeypatch.setattr(os, "system", recorder("os.system"))
    monkeypatch.setattr(os, "popen", recorder("os.popen"))
    monkeypatch.setattr(subprocess, "Popen", recorder("subprocess.Popen"))
    monkeypatch.setattr(socket, "socket", recorder("socket.socket"))
    monkeypatch.setattr(socket, "create_connection", recorder("socket.create_connection"))
    return calls


def _allowed(path: str, tmp_path: Path) -> bool:
    """Files the engine may open: its inputs and outputs (in tmp_path), the checkout
    (package, grammar, schemas), the interpreter and its packages, the parser cache, and
    the time-zone database (read by pandas/dateutil on import)."""
    real = os.path.realpath(path)
    roots = [tmp_path, ROOT, sys.prefix, sys.base_prefix, sys.exec_prefix]
    roots.append(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    roots.append("/usr/share/zoneinfo")
    return any(real.startswith(os.path.realpath(r) + os.sep) for r in roots)


def _evaluate(tmp_path: Path, rules: Path, guarded, *extra) -> tuple[int, str, str]:
    with audit.recording() as events:
        code, out, err = run_kaohe("evaluate", "--rules", rules, "--data", GOLDEN_DATA, *extra)
    assert not (tmp_path / CANARY).exists()
    assert guarded == []
    assert audit.forbidden(events) == []
    strays = [p for p in audit.opened(events) if not _allowed(p, tmp_path)]
    assert strays == [], strays
    assert not any("passwd" in p for p in audit.opened(events))
    assert any(p.startswith(str(rules)) for p in audit.opened(events))  # the hook was on
    return code, out, err


def test_the_canaries_would_see_a_payload(tmp_path):
    """The audit hook records commands and sockets, and the canary file is where a
    payload would put it: the checks above are not vacuous."""
    with audit.recording() as events:
        subprocess.run(["touch", str(tmp_path / CANARY)], check=True)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 9), 0.2):
            pass
        Path("/etc/passwd").read_bytes()
    seen = {event for event, _args in audit.forbidden(events)}
    assert "subprocess.Popen" in seen and "socket.connect" in seen
    assert (tmp_path / CANARY).exists()
    assert not _allowed("/etc/passwd", tmp_path)


def _assert_clear_error(err: str, code: str, file: Path, location: str) -> None:
    """Every problem is rendered as FILE:LINE:COLUMN: error KHnnn name: message, and the
    expected one is among them."""
    assert no_traceback(err), err
    heads = [line for line in err.splitlines() if ": error " in line]
    assert heads, err
    for line in heads:
        assert re.match(r"^.+:\d+:\d+: error KH\d{3} [a-z-]+: ", line), line
    assert any(line.startswith(f"{file}:{location}: error {code} ") for line in heads), heads


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "location"),
    [case[1:] for case in YAML_CASES],
    ids=[case[0] for case in YAML_CASES],
)
def test_yaml_constructs_are_refused(tmp_path, guarded, file, old, new, code, location):
    rules = _hostile(tmp_path, file, old, new)
    status, _out, err = _evaluate(tmp_path, rules, guarded)
    assert status == 1, err
    _assert_clear_error(err, code, rules / file, location)


@pytest.mark.parametrize(
    ("new", "code", "location"),
    [(case[1], case[2], f"33:{12 + case[3]}") for case in EXPRESSION_CASES],
    ids=[case[0] for case in EXPRESSION_CASES],
)
def test_expressions_cannot_reach_python(tmp_path, guarded, new, code, location):
    rules = _hostile(tmp_path, "规则集.yaml", LABEL, f"先进单位: '{new}'")
    started = time.monotonic()
    status, _out, err = _evaluate(tmp_path, rules, guarded)
    assert time.monotonic() - started < 10
    assert status == 1, err
    _assert_clear_error(err, code, rules / "规则集.yaml", location)


FORMAT_TRICKS = [
    "{0.__class__.__init__.__globals__}",
    "{unit.__class__}",
    "%(x)s %s %n",
    "${HOME} $(touch CANARY) `touch CANARY`",
    "__import__('os').system('touch CANARY')",
]


def test_format_string_tricks_stay_literal_text(tmp_path, guarded):
    """Text literals that look like format strings or shell are only text: written out
    exactly as given, never formatted, expanded or run."""
    labels = "\n".join(
        "    技巧{}: '\"{}\"'".format(n, trick.replace("'", "''"))
        for n, trick in enumerate(FORMAT_TRICKS)
    )
    rules = _hostile(tmp_path, "规则集.yaml", "  标签:\n", "  标签:\n" + labels + "\n")
    target = tmp_path / "结果.json"
    status, _out, err = _evaluate(tmp_path, rules, guarded, "-o", target)
    assert status == 0, err
    rows = json.loads(target.read_text(encoding="utf-8"))["结果"]
    for n, trick in enumerate(FORMAT_TRICKS):
        assert {row[f"技巧{n}"] for row in rows} == {trick}


def test_validate_fmt_and_show_do_not_run_payloads(tmp_path, guarded):
    """The other readers of rule files (validate, show, fmt --check and fmt, which uses
    ruamel.yaml's round-trip loader) on a file full of python tags: nothing runs."""
    rules = _hostile(
        tmp_path,
        "规则集.yaml",
        "名称: 黄金测试",
        '名称: !!python/object/apply:os.system ["touch {canary}"]\n'
        "说明: !!python/name:os.system\n"
        "备注: !!python/object/new:subprocess.Popen [[touch, {canary}]]",
    )
    for args in (["validate", rules], ["show", rules], ["fmt", "--check", rules], ["fmt", rules]):
        with audit.recording() as events:
            status, _out, err = run_kaohe(*args)
        assert no_traceback(err), (args, err)
        assert status in (0, 1), (args, err)
        assert not (tmp_path / CANARY).exists(), args
        assert guarded == [] and audit.forbidden(events) == [], args


def test_text_from_rule_files_is_not_a_formula_in_workbooks(tmp_path):
    """A unit name (text in 名单.yaml) that starts with '=' is written to 结果.xlsx as text,
    not as an Excel formula (openpyxl turns any string starting with '=' into a formula,
    so the workbook would run HYPERLINK/WEBSERVICE… when opened)."""
    from openpyxl import load_workbook

    name = '=HYPERLINK("http://example.invalid/","点此")'
    rules = _hostile(tmp_path, "名单.yaml", "名称: 甲一,", f"名称: {json.dumps(name)},")
    data = tmp_path / "data"
    shutil.copytree(GOLDEN_DATA, data)
    table = data / "数据.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace("J01,甲一,", "J01,,"), encoding="utf-8"
    )
    target = tmp_path / "结果.xlsx"
    status, _out, err = run_kaohe("evaluate", "--rules", rules, "--data", data, "-o", target)
    assert status == 0, err
    sheet = load_workbook(target)["结果"]
    cell = next(c for c in sheet["B"] if c.value == name)
    assert cell.data_type == "s", f"{cell.coordinate} is a formula: {cell.value}"
