"""YAML slips whose cause is a missing quote or a wrong colon are named as such, at the line
that has them; other structure errors keep their own message (no false blame)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.rules.loader import load_file

CASES = [
    # (id, text, line, column, message part, hint part)
    ("fullwidth-colon", "指标:\n  满分：6\n  计分方法: 线性\n", 2, 5, "全角", "半角冒号"),
    ("fullwidth-colon-last", "a:\n  b: 1\n  满分：6\n", 3, 5, "全角", "半角冒号"),
    ("colon-without-space", "指标:\n  满分:6\n  计分方法: 线性\n", 2, 5, "缺少空格", "空格"),
    ("list-in-flow-formula", "问题扣分: {计分: x in [1, 2], 上限: 3}\n", 1, 12, "引号", "加引号"),
    ("quoted-head", '先进单位: "第一等次" == 等次\n', 1, 7, "引号开头", "另一种引号"),
    ("undefined-alias", "计分: *2\n", 1, 5, "别名", "加引号"),
    ("at-sign", "计分: @x\n", 1, 5, "无法识别", "加引号"),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_quoting_slip_is_named(tmp_path: Path, text, line, column, message, hint) -> None:
    found = _refusal(tmp_path, text)
    assert (found.code, found.span.line, found.span.column) == ("KH201", line, column)
    assert message in found.message and hint in (found.hint or ""), found


@pytest.mark.parametrize(
    "text",
    [
        # a prose list item with a full-width colon above an indentation slip
        "说明:\n  - 注意：见附件\n - 第二条\n",
        # a flow mapping with balanced brackets, badly indented
        "规则:\n  - {等次: 第一等次, 前列: floor(人数 * 30%)}\n - {等次: 第二等次}\n",
    ],
    ids=["prose-colon", "balanced-flow"],
)
def test_no_false_blame(tmp_path: Path, text: str) -> None:
    found = _refusal(tmp_path, text)
    assert found.code == "KH201"
    assert "全角" not in found.message and "引号" not in found.message, found


def _refusal(tmp_path: Path, text: str):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        load_file(path)
    (found,) = raised.value.diagnostics
    return found
