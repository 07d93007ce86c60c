"""Hints that name a common slip in the words of policy staff."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from kaohe_rules.source import (
    character_name,
    compatibility_character,
    hidden_character,
    name_key,
    plain_name,
)

CHINESE_KEYWORDS = ("如果", "否则", "则", "且", "或", "不属于", "属于", "非", "是", "否", "缺失")

_WORD = re.compile(r"[^\W\d]\w*")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|“[^”]*”|[^\W\d]\w*|==|!=|<=|>=|[<>≥≤≠]|[^\s\w]')
_COMPARISON = re.compile(r"==|!=|<=|>=|[<>≥≤≠]")

_TERMINAL_LABELS = {
    "RPAR": "')'",
    "RSQB": "']'",
    "COMMA": "','",
    "THEN": "'then'/'则'",
    "ELSE": "'else'/'否则'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "COMP_OP": "比较运算符",
    "AND": "'and'/'且'",
    "OR": "'or'/'或'",
    "IN": "'in'/'属于'",
    "NUMBER": "数值",
    "NAME": "名称",
    "STRING": "文本",
    "LPAR": "'('",
    "LSQB": "'['",
    "IF": "'if'/'如果'",
    "NOT": "'not'/'非'",
    "TRUE": "'true'/'是'",
    "MISSING": "'missing'/'缺失'",
    "DOT": "'.'",
    "$END": "表达式结尾",
}


def expected_hint(expected: Iterable[str]) -> str | None:
    """ "此处应为 …" from the terminals the parser would have accepted, likeliest first."""
    names = {name.removesuffix("_ZH") for name in expected}
    labels = [_TERMINAL_LABELS[n] for n in _TERMINAL_LABELS if n in names]
    if not labels:
        return None
    return "此处应为 " + "、".join(labels[:8])


_BOUNDARIES = {"and", "or", "not", "if", "then", "else", "in", *CHINESE_KEYWORDS}


def after_comparison(prefix: str) -> bool:
    """Whether ``prefix`` ends inside a comparison (``a < b``), at the same bracket level."""
    depth = 0
    for token in reversed(_TOKEN.findall(prefix)):
        if token in ")）]":
            depth += 1
        elif token in "(（[":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and (token in _BOUNDARIES or token in ",，"):
            return False
        elif depth == 0 and _COMPARISON.fullmatch(token):
            return True
    return False


def glued_keyword(text: str) -> str | None:
    """'如果' when ``text`` glues it to the name after it (``如果x>3``).

    Only 如果 is checked: other keywords (是, 非, 则) start or end real names
    such as 是否达标, 非山区县 or 规则.
    """
    for word in _WORD.findall(text):
        if word.startswith("如果") and len(word) > 2:
            return "如果"
    return None


def invisible_hint(char: str) -> str | None:
    """A hint for characters that look like others or cannot be seen."""
    category = unicodedata.category(char)
    if category in ("Cf", "Zs", "Cc") or char in "\u200b\ufeff":
        return "这是一个不可见字符，多见于从网页或 Word 复制的文字，请删除"
    if "０" <= char <= "９":
        return "这是全角数字，请改用半角数字 0-9"
    if char in "＋－＊／＝＜＞":
        return "这是全角符号，请改用半角符号 + - * / = < >"
    if char in "%％":
        return "百分号只能紧跟在数字之后，如 10%"
    if char in "'‘’":
        return '文本请用双引号，如 "优秀"'
    return None


def look_alike(written: str, meant: str) -> str:
    """The hint for a name that differs from a known one only by an invisible character
    or a full-width (compatibility) form: which character, and the name meant."""
    index = hidden_character(written)
    if index is not None:
        what = f"看不见的字符 {character_name(written[index])}"
    else:
        index = compatibility_character(written)
        if index is None:  # the known name holds the full-width form, not this one
            return f"是否应为 '{meant}'？两者只差全角与半角（或其他兼容写法）"
        what = f"全角或兼容写法的字符 '{written[index]}'"
    return f"是否应为 '{meant}'？这里写的第 {index + 1} 个字符是{what}"


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """ "是否应为 'x'？" naming the nearest known name, or None."""
    candidates = list(candidates)
    plain = plain_name(name)  # the name as a reader sees it is a known one: say what differs
    same = next((c for c in candidates if c != name and name_key(c) == plain), None)
    if same is not None:
        return look_alike(name, same)
    by_folded = {c.casefold(): c for c in candidates}
    # Chinese names are short: one wrong character in two is still a likely slip.
    cutoff = 0.5 if len(name) <= 3 else 0.6
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=cutoff)
    if close:
        return f"是否应为 '{by_folded[close[0]]}'？"
    return None
