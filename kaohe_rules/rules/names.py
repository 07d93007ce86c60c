"""The checks on a name written in a rule file: a key, a unit's 编号, 名称 or 领域, a
tier's 等次. Each returns the Diagnostic that refuses the name (the loader raises it), or
None; they live apart from the YAML loading they serve.

A name is compared by its NFKC form (full-width Ｊ０１ is J01); an invisible character
(KH248), a space at either end (KH250) or, in a unit id, a full-width form (KH249) would
make two names that look the same differ, so each is refused where it stands.
"""

from __future__ import annotations

from collections.abc import Callable

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.source import (
    EDGE_HINT,
    HIDDEN_HINT,
    Span,
    bounded,
    character_name,
    compatibility_character,
    edge_space,
    hidden_character,
    id_hint,
    shown_character,
    without_hidden,
)

# Keys whose text value is a name: a unit's 编号, 名称, 领域; a tier's 等次.
NAME_KEYS = frozenset(("编号", "名称", "领域", "等次"))


def name_problem(text: str, at: Callable[[int], Span], key: str | None = None) -> Diagnostic | None:
    """KH248 for an invisible or control character in a name; KH250 for a space (of any
    kind: U+3000, U+00A0 …) at the start or end of the value of a name key (数据 cells are
    trimmed, so `" 330100"` would be a unit no data row reaches); KH249 for a unit id with
    a full-width or other compatibility form. ``at(i)`` is the place of character i."""
    index = hidden_character(text)
    if index is not None:
        visible = without_hidden(text)
        message = (
            f"名称 '{bounded(visible, 60)}' 的第 {index + 1} 个字符是看不见的"
            f" {character_name(text[index])}"
        )
        return Diagnostic("KH248", message, at(index), HIDDEN_HINT)
    index = edge_space(text) if key is not None else None
    if index is not None:
        message = f"{key} '{bounded(text, 60)}' 首尾有空格 {character_name(text[index])}"
        hint = f"删去首尾的空格，写成 '{bounded(text.strip(), 60)}'" + EDGE_HINT
        return Diagnostic("KH250", message, at(index), hint)
    index = compatibility_character(text) if key == "编号" else None
    if index is not None:
        char = shown_character(text[index])
        message = f"单位编号 '{bounded(text, 60)}' 中有全角或兼容写法的字符 {char}"
        return Diagnostic("KH249", message, at(index), id_hint(text, index))
    return None


def duplicate_key(span: Span, key: str, earlier: str, first: Span) -> Diagnostic:
    """KH202 for a key given twice, or written twice in forms a reader takes for one
    (全角 Ｊ０１ and J01): two keys, and so two indicators or two categories, would look
    like one."""
    if key == earlier:
        message = f"键 '{bounded(key)}' 重复出现（第一次在第 {first.line} 行）"
        return Diagnostic("KH202", message, span, "YAML 只会保留最后一个值；请删除或合并重复的键")
    message = (
        f"键 '{bounded(key)}' 与第 {first.line} 行的 '{bounded(earlier)}' "
        "只差兼容写法（全角与半角等），视为同一个名称"
    )
    return Diagnostic("KH202", message, span, "删除或合并其中一个；名称中的字母、数字请统一用半角")
