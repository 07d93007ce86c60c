"""Fuzzing strategies shared by the CI property tests (tests/fuzz) and bench/fuzz.py.

Every fuzz input is a small frozen dataclass describing *how* to build the input
(a seed file and a list of edits), so that hypothesis shrinks it to a readable
minimal case and a failure can be replayed and saved: ``materialize`` turns it into
files in a temporary folder.

Seeds: the formulas of rules/2024 (compiled with their scope), the small golden
rule set and data of tests/golden/evaluate, and the official rules/2023 + 2024.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "evaluate"
GOLDEN_RULES = GOLDEN / "rules"
GOLDEN_DATA = GOLDEN / "data"
OFFICIAL = ROOT / "rules"  # 2024 inherits 2023: both are copied

# Examples each CI property test runs (tests/fuzz, profile "kaohe-fuzz-ci").
# Chosen so that the whole folder takes well under 60 s on a 2-core machine.
CI_EXAMPLES: dict[str, int] = {
    "expr.random_text": 500,
    "expr.token_soup": 600,
    "expr.mutated_formula": 600,
    "rules.golden": 300,
    "rules.official": 50,
    "data.csv": 300,
    "data.xlsx": 80,
    "data.limits": 60,
    "evaluate.cli": 120,
}

settings.register_profile(
    "kaohe-fuzz-ci",
    derandomize=True,  # the same examples on every run: CI failures are reproducible
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


def ci_settings(target: str) -> settings:
    """The CI profile with the example count of one entry point (a key of CI_EXAMPLES)."""
    return settings(settings.get_profile("kaohe-fuzz-ci"), max_examples=CI_EXAMPLES[target])


# ---------------------------------------------------------------------------
# (a) expressions
# ---------------------------------------------------------------------------

KEYWORDS = [
    "if", "then", "else", "and", "or", "not", "in", "true", "false", "missing",
    "如果", "则", "否则", "且", "或", "非", "属于", "不属于", "是", "否", "缺失",
]  # fmt: skip
OPERATORS = [
    "==", "!=", "<=", ">=", "<", ">", "≥", "≤", "≠", "=", "+", "-", "*", "/", ".",
    "(", ")", "（", "）", "[", "]", ",", "，", "%", "％",
]  # fmt: skip
FUNCTIONS = [
    "min", "max", "clamp", "abs", "round_half_up", "floor", "ceil", "coalesce",
    "is_missing", "linear", "steps", "rank", "count", "mean", "median", "group_max",
    "group_min", "group_sum", "percentile", "quantile", "top", "bottom", "history",
]  # fmt: skip
LITERALS = [
    "0", "1", "2.5", "10%", "1e6", "1e309", "1e-400", "99999999999999999999", "0.000",
    '"优秀"', "“良好”", '""', '"', "“", '"a\\"b"', "'x'", "１２", "\u200b", "\t", "\n",
    "desc=true", 'ties="dense"', "by=1", "digits=2", "unit", "unit.层级", "__class__",
]  # fmt: skip
EXOTIC = "\x00\x7f\u00a0\u3000\ufeff\u202e\ud7ff𠀀😀\\`$@#~!?;:'^&|"


@dataclass(frozen=True)
class ExprCase:
    """One expression to parse and check, where it stands in a file, the type expected."""

    text: str
    file: str = "<表达式>"
    line: int = 1
    column: int = 1
    continuation_column: int | None = None
    expect: str | None = None  # None, "number", "bool" or "text"


@dataclass
class Formulas:
    """The formulas of rules/2024 and a scope in which (almost) all of them check."""

    texts: list[str]
    types: dict  # name -> kaohe_rules.dsl.types.Type
    names: list[str]


@cache
def official_formulas() -> Formulas:
    """Every distinct formula of rules/2024 and the union of the names they may use."""
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.rules.resolve import base_symbols, unit_symbols

    resolved = load_rules(OFFICIAL / "2024").resolved
    ruleset = resolved.ruleset
    types: dict = dict(unit_symbols(ruleset))
    for domain in ruleset.domains:
        types.update(base_symbols(ruleset, domain))
    for compiled in resolved.programs.values():
        for node_id, name in compiled.symbols.items():
            types.setdefault(name, compiled.types[node_id])
    texts = sorted({expr.text for expr in resolved.programs})
    return Formulas(texts, types, sorted(types))


def _expr_cases(texts: st.SearchStrategy[str]) -> st.SearchStrategy[ExprCase]:
    """Texts at the start of an expression, or somewhere in a rule file."""
    in_file = st.builds(
        ExprCase,
        texts,
        file=st.just("规则.yaml"),
        line=st.integers(1, 500),
        column=st.integers(1, 40),
        continuation_column=st.one_of(st.none(), st.integers(1, 20)),
        expect=st.sampled_from([None, "number", "bool", "text"]),
    )
    plain = st.builds(ExprCase, texts, expect=st.sampled_from([None, "number", "bool", "text"]))
    return st.one_of(plain, in_file)


def random_expr_text() -> st.SearchStrategy[ExprCase]:
    """Arbitrary Unicode text, and text over the grammar's own characters."""
    grammar_chars = "".join(sorted(set("".join(KEYWORDS + OPERATORS + LITERALS)))) + "abxy_ "
    return _expr_cases(
        st.one_of(
            st.text(max_size=40),
            st.text(alphabet=grammar_chars + EXOTIC, max_size=60),
        )
    )


def token_soup() -> st.SearchStrategy[ExprCase]:
    """Sequences of the grammar's tokens, names of rules/2024 and odd literals."""
    names = official_formulas().names
    token = st.one_of(
        st.sampled_from(KEYWORDS),
        st.sampled_from(OPERATORS),
        st.sampled_from(FUNCTIONS),
        st.sampled_from(names),
        st.sampled_from(LITERALS),
        st.integers(-5, 10**6).map(str),
    )
    separator = st.sampled_from([" ", " ", " ", "", "\n", "\t", "  ", "\u3000"])
    soup = st.lists(st.tuples(token, separator), max_size=25).map(
        lambda pairs: "".join(t + s for t, s in pairs)
    )
    return _expr_cases(soup)


@dataclass(frozen=True)
class TextEdit:
    """One edit of an expression's text; ``at`` is taken modulo the text's length."""

    kind: str
    at: int = 0
    arg: str | int = ""

    def apply(self, text: str) -> str:
        n = len(text)
        i = self.at % (n + 1)
        if self.kind == "insert":
            return text[:i] + str(self.arg) + text[i:]
        if self.kind == "delete":
            return text[:i] + text[i + int(self.arg) :]
        if self.kind == "replace":
            return text[:i] + str(self.arg) + text[i + 1 :]
        if self.kind == "truncate":
            return text[:i]
        if self.kind == "duplicate":
            return text[:i] + text[i : i + int(self.arg)] + text[i:]
        if self.kind == "swap":  # exchange two tokens split on spaces
            parts = text.split(" ")
            a, b = i % len(parts), int(self.arg) % len(parts)
            parts[a], parts[b] = parts[b], parts[a]
            return " ".join(parts)
        if self.kind == "nest":  # wrap in brackets; 100 is the documented limit
            return "(" * int(self.arg) + text + ")" * int(self.arg)
        if self.kind == "repeat":  # grow past the 10,000 characters limit
            return " + ".join([text] * int(self.arg))
        raise ValueError(self.kind)


def _text_edits() -> st.SearchStrategy[TextEdit]:
    snippet = st.one_of(
        st.sampled_from(KEYWORDS + OPERATORS + FUNCTIONS + LITERALS),
        st.sampled_from(official_formulas().names),
        st.text(max_size=3),
    )
    at = st.integers(0, 400)
    return st.one_of(
        st.builds(TextEdit, st.just("insert"), at, snippet),
        st.builds(TextEdit, st.just("delete"), at, st.integers(1, 8)),
        st.builds(TextEdit, st.just("replace"), at, snippet),
        st.builds(TextEdit, st.just("truncate"), at),
        st.builds(TextEdit, st.just("duplicate"), at, st.integers(1, 12)),
        st.builds(TextEdit, st.just("swap"), at, st.integers(0, 30)),
        st.builds(TextEdit, st.just("nest"), st.just(0), st.sampled_from([1, 2, 40, 99, 100, 101])),
        st.builds(TextEdit, st.just("repeat"), st.just(0), st.sampled_from([2, 3, 200, 400])),
    )


@dataclass(frozen=True)
class MutatedFormula:
    """A formula of rules/2024 after some edits."""

    seed: str
    edits: tuple[TextEdit, ...]

    @property
    def text(self) -> str:
        text = self.seed
        for edit in self.edits:
            text = edit.apply(text)
        return text


def mutated_formula() -> st.SearchStrategy[ExprCase]:
    """Formulas of rules/2024 with one to three edits."""
    mutated = st.builds(
        MutatedFormula,
        st.sampled_from(official_formulas().texts),
        st.lists(_text_edits(), min_size=1, max_size=3).map(tuple),
    )
    return _expr_cases(mutated.map(lambda m: m.text))


# ---------------------------------------------------------------------------
# File edits: byte flips, truncation, lines, YAML keys and values, CSV cells
# ---------------------------------------------------------------------------

_BLOCK_KEY = re.compile(r"^[ \t]*(?:- +)?([^\s#:\-\[\]{},&*!|>'\"%@`][^:#\n]*?) *:(?= |$)", re.M)
_FLOW_KEY = re.compile(r"(?<=[{,] )([^\s:{},\[\]]+)(?=: )")
_VALUE = re.compile(r"(?<=: )([^\s#,{}\[\]][^#\n,{}\[\]]*)")


@dataclass(frozen=True)
class Edit:
    """One edit of a file's bytes. ``at`` picks a byte, line, key, value or cell modulo
    how many the file has, so any edit applies to any file (also after other edits)."""

    kind: str
    at: int = 0
    arg: object = None

    def apply(self, data: bytes) -> bytes:
        return _EDITS[self.kind](data, self.at, self.arg)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _flip(data: bytes, at: int, arg: object) -> bytes:
    if not data:
        return data
    i = at % len(data)
    return data[:i] + bytes([data[i] ^ int(arg)]) + data[i + 1 :]


def _truncate(data: bytes, at: int, _arg: object) -> bytes:
    return data[: at % (len(data) + 1)]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _delete_lines(data: bytes, at: int, arg: object) -> bytes:
    lines = _lines(data)
    i = at % len(lines)
    return b"".join(lines[:i] + lines[i + int(arg) :])


def _duplicate_lines(data: bytes, at: int, arg: object) -> bytes:
    lines = _lines(data)
    i = at % len(lines)
    block = lines[i : i + int(arg)]
    if block and not block[-1].endswith(b"\n"):
        block[-1] += b"\n"
    return b"".join(lines[:i] + block + lines[i:])


def _replace_span(data: bytes, spans: list[tuple[int, int]], at: int, new: str) -> bytes:
    if not spans:
        return data
    text = _text(data)
    start, end = spans[at % len(spans)]
    return _bytes(text[:start] + new + text[end:])


def _rename_key(data: bytes, at: int, arg: object) -> bytes:
    text = _text(data)
    spans = [m.span(1) for m in _BLOCK_KEY.finditer(text)]
    spans += [m.span(1) for m in _FLOW_KEY.finditer(text)]
    return _replace_span(data, sorted(spans), at, str(arg))


def _swap_value(data: bytes, at: int, arg: object) -> bytes:
    spans = [m.span(1) for m in _VALUE.finditer(_text(data))]
    return _replace_span(data, spans, at, str(arg))


def _insert_line(data: bytes, at: int, arg: object) -> bytes:
    """Insert YAML (or CSV) text before a line, indented like that line (or not)."""
    snippet, same_indent = arg  # type: ignore[misc]
    lines = _lines(data)
    i = at % (len(lines) + 1)
    indent = b""
    if same_indent and i < len(lines):
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(b" "))]
    new = b"".join(indent + _bytes(part) + b"\n" for part in str(snippet).split("\n"))
    if i > 0 and not lines[i - 1].endswith(b"\n"):
        new = b"\n" + new
    return b"".join(lines[:i]) + new + b"".join(lines[i:])


def _whole(data: bytes, _at: int, arg: object) -> bytes:
    """Whole-file changes: encodings, line endings, BOM."""
    text = _text(data)
    if arg == "crlf":
        return data.replace(b"\n", b"\r\n")
    if arg == "cr":
        return data.replace(b"\n", b"\r")
    if arg == "bom":
        return b"\xef\xbb\xbf" + data
    if arg == "empty":
        return b""
    if arg == "no-final-newline":
        return data.rstrip(b"\n")
    if str(arg).startswith("doc:"):  # the whole file becomes another YAML document
        return _bytes(str(arg)[4:])
    encoding = str(arg)
    return text.encode(encoding, "replace") if "surrogate" not in text else data


def _csv_cells(text: str) -> list[tuple[int, int]]:
    """Character spans of every unquoted CSV field, in file order."""
    spans, offset = [], 0
    for line in text.split("\n"):
        start = 0
        for i, ch in enumerate(line + ","):
            if ch == ",":
                spans.append((offset + start, offset + i))
                start = i + 1
        offset += len(line) + 1
    return spans


def _replace_cell(data: bytes, at: int, arg: object) -> bytes:
    return _replace_span(data, _csv_cells(_text(data)), at, str(arg))


_EDITS = {
    "flip": _flip,
    "truncate": _truncate,
    "delete_lines": _delete_lines,
    "duplicate_lines": _duplicate_lines,
    "rename_key": _rename_key,
    "swap_value": _swap_value,
    "insert_line": _insert_line,
    "whole": _whole,
    "replace_cell": _replace_cell,
}


@cache
def schema_keys() -> list[str]:
    """Every key the JSON Schemas of the rule files know."""
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("properties", "patternProperties") and isinstance(value, dict):
                    keys.update(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "schemas").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(keys)


YAML_VALUES = [
    "1", "-1", "0", "1.5", "1e309", "-1e309", ".inf", ".nan", "true", "false", "~", "null",
    '""', '"文本"', "[]", "[1, 2]", "{}", "{a: 1}", "2024-01-01", "0x1F", "0o17", "1_000",
    '"1"', "'单引号'", "!!str 1", "!!binary aGVsbG8=", "!!timestamp 2001-12-14",
    "!!float 1", "!!set {a}", "!!python/object:os.system x", "!foo 1", "*nope",
    "&a 1", "是", "否", "1 +", "(", "unit.", '"' + "x" * 2000 + '"', "1" * 400, "-0",
    "1:30", "12.5%", "100%", "../2023", "../../etc", "/etc/passwd", "名单.yaml", "|",
    ">-", "@x", "`x`", "%x", "- 1", "? x", "{", "[", "\t1", "a: b: c", "甲.yaml",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
]  # fmt: skip
YAML_KEYS = [
    "", "x", "未知键", "<<", "~", "1", "true", "null", "? x", "- 领域", "a b", "&a 键",
    "*a", "!!int 1", "[1, 2]", "{a: 1}", "领 域", "满 分", "unit", "值", "名次", "if", "\t键",
]  # fmt: skip
YAML_LINES = [
    "&anchor x: 1", "<<: *anchor", "x: *undefined", "---", "...", "%YAML 1.1",
    "%TAG ! tag:x,2000:", "? complex key\n: value", "- item", "key: |\n  a\n  b", "key: >-",
    "\tkey: 1", "key: !!python/object/apply:os.system ['ls']", "key: !custom 1",
    "key: " + "[" * 60 + "]" * 60, "key: {", '"unterminated', "key: &a [*a]",
    "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "\ufeffkey: 1", "key: \x00", "\u200b: 1", "# 注释", "key: 'it''s'", 'key: "\\u0000"',
    "{a: 1}: 2", "[1, 2]: 3", "? [a, b]\n: c", "1: 1", "true: x", "~: x", "1.5: x",
    "2024-01-01: x", "继承: ../2023", "继承: .", "继承: ../..", "名单: 名单.yaml",
    "领域: 甲", "考卷: ~", "类别: []", "满分: -5", "计分: 1 +", "计分: 值 / 0",
    "等次: {规则: []}", "一单位一策: {不存在: {删除指标: [x]}}", "x: !!binary aGVsbG8=",
    "x: !!timestamp 2001-12-14t21:59:43.10-05:00", "x: !!set {a, b}", "x: !!omap [a: 1]",
    "x: 0x10", "x: .inf", "- {编号: J99, 名称: 甲九十九, 领域: 甲, 类型: 甲}",
    "- {编号: J01, 名称: 甲一, 领域: 甲, 类型: 甲}", "- {编号: X, 名称: X, 领域: 无}",
]  # fmt: skip


# An explicit !!int / !!float tag on a value that is no number (finding 4, fixed: KH212).
TAGGED_TEXT_VALUES = ["!!int x", "!!float x", "!!int 0x1F", "!!float 1e"]
# Whole documents that are no mapping (finding 5, fixed: now KH212).
OTHER_DOCS = ["doc:~", "doc:[]", "doc:1", "doc:- a", "doc:文本", "doc:!!null", "doc:{}"]


def _yaml_edits() -> st.SearchStrategy[Edit]:
    at = st.integers(0, 10**6)
    key = st.one_of(st.sampled_from(YAML_KEYS), st.sampled_from(schema_keys()), st.text(max_size=4))
    values = YAML_VALUES + TAGGED_TEXT_VALUES
    value = st.one_of(st.sampled_from(values), st.text(max_size=6))
    wholes = ["crlf", "cr", "bom", "empty", "gb18030", "utf-16", "latin-1", *OTHER_DOCS]
    line = st.one_of(
        st.sampled_from(YAML_LINES), st.sampled_from(schema_keys()).map(lambda k: k + ": 1")
    )
    return st.one_of(
        st.builds(Edit, st.just("flip"), at, st.integers(1, 255)),
        st.builds(Edit, st.just("truncate"), at),
        st.builds(Edit, st.just("delete_lines"), at, st.integers(1, 3)),
        st.builds(Edit, st.just("duplicate_lines"), at, st.integers(1, 3)),
        st.builds(Edit, st.just("rename_key"), at, key),
        st.builds(Edit, st.just("swap_value"), at, value),
        st.builds(Edit, st.just("insert_line"), at, st.tuples(line, st.booleans())),
        st.builds(Edit, st.just("whole"), st.just(0), st.sampled_from(wholes)),
    )


@cache
def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml"))


@dataclass(frozen=True)
class RulesCase:
    """A rule set (``golden`` or ``official``) with one file edited."""

    base: str
    file: str
    edits: tuple[Edit, ...]

    def materialize(self, into: Path) -> tuple[Path, Path]:
        """Write the rule set under ``into``; return (rules folder, root)."""
        if self.base == "golden":
            folder = into / "rules"
            shutil.copytree(GOLDEN_RULES, folder)
        else:
            for year in ("2023", "2024"):
                shutil.copytree(OFFICIAL / year, into / year)
            folder = into / "2024"
        target = (folder if self.base == "golden" else into) / self.file
        data = target.read_bytes()
        for edit in self.edits:
            data = edit.apply(data)
        target.write_bytes(data)
        return folder, into


def rules_cases(base: str) -> st.SearchStrategy[RulesCase]:
    """``golden``: tests/golden/evaluate/rules; ``official``: rules/2024 on rules/2023."""
    if base == "golden":
        files = _files(GOLDEN_RULES)
    else:
        files = [f for f in _files(OFFICIAL) if f.split("/")[0] in ("2023", "2024")]
    return st.builds(
        RulesCase,
        st.just(base),
        st.sampled_from(files),
        st.lists(_yaml_edits(), min_size=1, max_size=3).map(tuple),
    )


# ---------------------------------------------------------------------------
# (c) data files
# ---------------------------------------------------------------------------

CSV_VALUES = [
    "", " ", "abc", "1e309", "-1", "-0", "NaN", "nan", "inf", "-inf", "Infinity", "12.5%",
    '"1,234"', "1,234", "%", '"', '""', '" 5 "', "１２", "0x10", "1_000", "--1", "1e-400",
    "#注释", "=1+1", "是", "否", "true", "FALSE", "1", "0", "2", "優秀", "优秀", "较差",
    "J01", "甲一", "Y02", "B03", "乙二", "X99", "编号", "单位", "指标", "值", "年度",
    "2023", "2023.5", "第一等次", "未知等次", "x" * 3000, "1" * 400, "\x00", "\u200b",
    "\t", "1e", ".5", "5.", "+5", "٣", "½", "1 000", "12.5%%", "%5", "1e+308",
    "1.7976931348623157e308",
]  # fmt: skip
CSV_LINES = [
    "", "#", "# 注释", ",,,,", "编号,指标,值", "J01,增速,5", "J01,增速,5\nJ01,增速,6",
    "J01", "编号,年度,等次,总分,名次", "J01,2023,第一等次,x,1", "J01,abc,第一等次,1,1",
    '"unterminated,1,2', "J01,甲一," + ",".join(["1"] * 30), "\x00",
    "Y01,乙一,,,,,0,0,否,良好,1,1,",
    "J01,2024,第一等次,1,1", "J01,1e9,第一等次,1,1", "J01,-5,第一等次,1,-1",
]  # fmt: skip
DATA_NAMES = ["数据.csv", "数据.CSV", "数据.xlsx", "~$数据.csv", "数据.txt", "历史.csv"]


def _csv_edits() -> st.SearchStrategy[Edit]:
    at = st.integers(0, 10**6)
    values, lines = CSV_VALUES, CSV_LINES
    return st.one_of(
        st.builds(
            Edit,
            st.just("replace_cell"),
            at,
            st.one_of(st.sampled_from(values), st.text(max_size=5)),
        ),
        st.builds(Edit, st.just("flip"), at, st.integers(1, 255)),
        st.builds(Edit, st.just("truncate"), at),
        st.builds(Edit, st.just("delete_lines"), at, st.integers(1, 3)),
        st.builds(Edit, st.just("duplicate_lines"), at, st.integers(1, 3)),
        st.builds(
            Edit, st.just("insert_line"), at, st.tuples(st.sampled_from(lines), st.just(False))
        ),
        st.builds(
            Edit,
            st.just("whole"),
            st.just(0),
            st.sampled_from(
                [
                    "crlf",
                    "cr",
                    "bom",
                    "empty",
                    "no-final-newline",
                    "gb18030",
                    "utf-16",
                    "latin-1",
                    "big5",
                ]
            ),
        ),
    )


LONG_FILE = "长表.csv"


@cache
def long_table() -> str:
    """The golden 数据.csv written as a long table (one row per unit and value)."""
    lines = (GOLDEN_DATA / "数据.csv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines[1:]))
    header, body = rows[0], rows[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["编号", "指标", "值"])
    for row in body:
        for name, value in zip(header[2:], row[2:], strict=True):
            if value:
                writer.writerow([row[0], name, value])
    return out.getvalue()


@dataclass(frozen=True)
class CsvCase:
    """A copy of tests/golden/evaluate/data with one CSV file edited (and maybe renamed)."""

    file: str
    edits: tuple[Edit, ...]
    name: str | None = None  # write the edited file under another name

    def materialize(self, into: Path) -> Path:
        folder = into / "data"
        shutil.copytree(GOLDEN_DATA, folder)
        if self.file == LONG_FILE:  # the same data as a long table: 编号, 指标, 值
            (folder / "数据.csv").unlink()
            (folder / LONG_FILE).write_text(long_table(), encoding="utf-8")
        source = folder / self.file
        data = source.read_bytes()
        for edit in self.edits:
            data = edit.apply(data)
        if self.name is not None:
            source.unlink()
            source = folder / self.name
        source.write_bytes(data)
        return folder


def csv_cases() -> st.SearchStrategy[CsvCase]:
    """The golden data with 数据.csv, 历史.csv or the long form of 数据.csv edited,
    sometimes under another name.
    """
    return st.builds(
        CsvCase,
        st.sampled_from(["数据.csv", "历史.csv", LONG_FILE]),
        st.lists(_csv_edits(), min_size=1, max_size=3).map(tuple),
        st.one_of(st.none(), st.none(), st.sampled_from(DATA_NAMES)),
    )


XLSX_VALUES: list[object] = [
    None, 0, 1, -1, 1.5, 1e308, float("inf"), float("nan"), 10**20, True, False, "", " ",
    "abc", "12.5%", "1,234", "是", "否", "优秀", "J01", "甲一", "=1+1", "=SUM(A1:A2)", "#注释",
    datetime(2024, 1, 1), time(12, 30), "x" * 3000, "编号", "指标", "值",
]  # fmt: skip


@dataclass(frozen=True)
class WorkbookCase:
    """The golden 数据.csv as a workbook, with cells changed, sheets added, bytes edited."""

    cells: tuple[tuple[int, int, object], ...] = ()
    extra: tuple[str, ...] = ()  # hidden, empty, merged, history, formula, second
    byte_edits: tuple[Edit, ...] = ()

    def materialize(self, into: Path) -> Path:
        from openpyxl import Workbook

        folder = into / "data"
        folder.mkdir()
        shutil.copy(GOLDEN_DATA / "历史.csv", folder)
        lines = (GOLDEN_DATA / "数据.csv").read_text(encoding="utf-8").splitlines()[1:]
        rows: list[list[object]] = [
            [float(v) if v.replace(".", "", 1).isdigit() else v for v in row]
            for row in csv.reader(lines)
        ]
        for r, c, value in self.cells:
            row = rows[r % len(rows)]
            row[c % len(row)] = value
        book = Workbook()
        sheet = book.active
        sheet.title = "数据"
        for row in rows:
            sheet.append(row)
        for kind in self.extra:
            if kind == "hidden":
                hidden = book.create_sheet("草稿")
                hidden.append(["编号", "增速"])
                hidden.append(["J01", "草稿"])
                hidden.sheet_state = "hidden"
            elif kind == "empty":
                book.create_sheet("空")
            elif kind == "merged":
                sheet.merge_cells("A30:B31")
            elif kind == "history":
                extra = book.create_sheet("历史")
                extra.append(["编号", "年度", "等次", "总分", "名次"])
                extra.append(["J03", 2023, "第一等次", 90, 1])
            elif kind == "formula":
                sheet["C5"] = "=1/0"
            elif kind == "second":
                extra = book.create_sheet("补充")
                extra.append(["编号", "事故"])
                extra.append(["J01", "否"])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        for edit in self.byte_edits:
            data = edit.apply(data)
        (folder / "数据.xlsx").write_bytes(data)
        return folder


def workbook_cases() -> st.SearchStrategy[WorkbookCase]:
    """Workbooks of the golden data: changed cells, extra sheets, a few damaged bytes
    (findings 2 and 3, fixed: a damaged or foreign zip file is KH308)."""
    cell = st.tuples(st.integers(0, 30), st.integers(0, 15), st.sampled_from(XLSX_VALUES))
    damage = st.one_of(
        st.builds(Edit, st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
        st.builds(Edit, st.just("truncate"), st.integers(0, 10**6)),
    )
    extras = ["hidden", "empty", "merged", "history", "formula", "second"]
    return st.builds(
        WorkbookCase,
        st.lists(cell, max_size=4).map(tuple),
        st.lists(st.sampled_from(extras), max_size=2, unique=True).map(tuple),
        st.one_of(st.just(()), st.lists(damage, max_size=2).map(tuple)),
    )


# ---------------------------------------------------------------------------
# (d) the evaluate command
# ---------------------------------------------------------------------------

OUTPUTS = ["结果.json", "结果.json", "结果.csv", "结果.xlsx", None]
OPTIONS: list[tuple[str, ...]] = [
    (), (), (), ("--warnings",), ("--period", "H1"), ("--encoding", "gb18030"),
    ("--encoding", "utf-16"), ("--encoding", "no-such-codec"), ("--year", "1999"),
]  # fmt: skip


@dataclass(frozen=True)
class EvaluateCase:
    """``kaohe evaluate`` on edited golden rules and/or data, with some options."""

    rules: RulesCase | None = None
    data: CsvCase | WorkbookCase | None = None
    output: str | None = "结果.json"
    options: tuple[str, ...] = ()

    def materialize(self, into: Path) -> tuple[Path, Path]:
        """Write rules and data under ``into``; return (rules folder, data folder)."""
        if self.rules is None:
            rules = into / "rules"
            shutil.copytree(GOLDEN_RULES, rules)
        else:
            rules, _root = self.rules.materialize(into)
        if self.data is None:
            data = into / "data"
            shutil.copytree(GOLDEN_DATA, data)
        else:
            data = self.data.materialize(into)
        return rules, data


def evaluate_cases() -> st.SearchStrategy[EvaluateCase]:
    """Edited rules, edited data, or both, through the command line."""
    rules = rules_cases("golden")
    data = st.one_of(csv_cases(), workbook_cases())
    both = st.one_of(
        st.tuples(rules, st.none()),
        st.tuples(st.none(), data),
        st.tuples(rules, data),
        st.tuples(st.none(), st.none()),
    )
    return st.builds(
        lambda pair, output, options: EvaluateCase(pair[0], pair[1], output, options),
        both,
        st.sampled_from(OUTPUTS),
        st.sampled_from(OPTIONS),
    )


def _limit_cases() -> st.SearchStrategy:
    from tests.fuzz.limit_cases import limit_cases  # it imports this module

    return limit_cases()


def strategy(target: str) -> st.SearchStrategy:
    """The strategy of one fuzzer (a key of CI_EXAMPLES)."""
    makers = {
        "expr.random_text": random_expr_text,
        "expr.token_soup": token_soup,
        "expr.mutated_formula": mutated_formula,
        "rules.golden": lambda: rules_cases("golden"),
        "rules.official": lambda: rules_cases("official"),
        "data.csv": csv_cases,
        "data.xlsx": workbook_cases,
        "data.limits": _limit_cases,
        "evaluate.cli": evaluate_cases,
    }
    return makers[target]()
