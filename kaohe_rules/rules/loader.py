"""YAML rule files to plain mappings that remember where each key and value came from.

Loading is safe and bounded: PyYAML's safe constructors only, a size limit, a
nesting limit, a limit on how far aliases may expand (a "billion laughs" file
fails fast), duplicate keys reported (PyYAML silently keeps the last), tabs,
bad encodings and syntax errors reported with file, line and column.

Scalars resolve as in YAML 1.2: only ``true``/``false`` are truth values (so
``no``, ``on`` and ``否`` stay text), and dates or ``1:30`` stay text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.limits import INTEGER_DIGITS, RULE_FILE_BYTES
from kaohe_rules.rules.buffers import buffered
from kaohe_rules.rules.names import NAME_KEYS, duplicate_key, name_problem
from kaohe_rules.source import Origin, Span, bounded, name_key, os_reason

MAX_DEPTH = 40
MAX_NODES = 200_000


class YMap(dict):
    """A mapping from a YAML file; ``keys_at``/``values_at`` give each entry's span."""

    def __init__(self, file: str = "", span: Span | None = None) -> None:
        super().__init__()
        self.file = file
        self.span = span
        self.keys_at: dict[str, Span] = {}
        self.values_at: dict[str, Span] = {}
        self.origins: dict[str, Origin] = {}
        self.deleted: dict[str, Span] = {}  # keys a later year's ``~`` removed, and where


class YList(list):
    """A sequence from a YAML file; ``items_at[i]`` is the span of item i."""

    def __init__(self, file: str = "", span: Span | None = None) -> None:
        super().__init__()
        self.file = file
        self.span = span
        self.items_at: list[Span] = []
        self.origins: list[Origin | None] = []


def _span(file: str, node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _origin(file: str, node: Node, lines: list[str]) -> Origin | None:
    """Where the text of a scalar starts, so expression errors point into the file."""
    if not isinstance(node, ScalarNode):
        return None
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if node.style == "|":
        # The text starts on the next non-blank line, at its indentation.
        for number in range(line + 1, len(lines) + 1):
            text = lines[number - 1]
            if text.strip():
                indent = len(text) - len(text.lstrip(" "))
                return Origin(file, number, indent + 1, continuation_column=indent + 1)
        return Origin(file, line, column)
    folded = node.style == ">" or node.end_mark.line > node.start_mark.line
    quoted_width = node.end_mark.column - node.start_mark.column - 2
    escaped = node.style in ('"', "'") and quoted_width != len(node.value)
    if folded or escaped:
        return _aligned_origin(file, node, lines)
    if node.style in ('"', "'"):
        return Origin(file, line, column + 1)
    return Origin(file, line, column)


def _aligned_origin(file: str, node: ScalarNode, lines: list[str]) -> Origin:
    """An origin that maps each character of a folded, multi-line or escaped scalar.

    YAML joins such text (line breaks become spaces, escapes are decoded), so
    the value's columns no longer match the file's; walking the value and the
    file text side by side recovers each character's place.
    """
    raw: list[tuple[str, tuple[int, int]]] = []
    start, end = node.start_mark, node.end_mark
    for index in range(start.line, min(end.line, len(lines) - 1) + 1):
        text = lines[index] + "\n"
        first = start.column if index == start.line else 0
        last = end.column if index == end.line else len(text)
        raw += [(text[c], (index + 1, c + 1)) for c in range(first, min(last, len(text)))]
    positions: list[list[tuple[int, int]]] = [[]]
    j = 0
    for char in node.value:
        probe = j
        while probe < len(raw) and probe - j < 12 and not _same(char, raw[probe][0]):
            probe += 1
        if probe < len(raw) and _same(char, raw[probe][0]):
            j = probe
        place = raw[min(j, len(raw) - 1)][1] if raw else (start.line + 1, start.column + 1)
        if char == "\n":
            positions.append([])
        else:
            positions[-1].append(place)
        j += 1
    first_place = positions[0][0] if positions[0] else (start.line + 1, start.column + 1)
    rows = tuple(tuple(row) for row in positions)
    return Origin(file, first_place[0], first_place[1], positions=rows)


def _same(value_char: str, raw_char: str) -> bool:
    # Folding turns a line break into a space.
    return value_char == raw_char or (value_char in " \n" and raw_char == "\n")


_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


# libyaml's parser when PyYAML was built with it (the wheels are): 5-10x faster.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """Safe loading with YAML 1.2 scalars and located, duplicate-free mappings."""

    yaml_implicit_resolvers: ClassVar[dict] = {}

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.lines = text.splitlines()


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))


def _construct_bool(loader: _Loader, node: ScalarNode) -> bool:
    return node.value.lower() == "true"


def _construct_int(loader: _Loader, node: ScalarNode) -> int:
    digits = node.value.lstrip("+-")
    if not re.fullmatch("[0-9]+", digits):  # an explicit !!int on text (or on ² or ０１)
        message = f"{bounded(node.value)!r} 不是整数"
        raise _LoadProblem("KH212", message, _span(loader.file, node))
    _check_digits(loader, node, digits)
    _check_range(loader, node, node.value)
    if len(digits) > 1 and digits.startswith("0"):
        # 0330 would silently become 330: an id or code with a leading zero is text.
        message = f"{node.value} 以 0 开头，读作数值会丢掉前导零"
        hint = f'编号、代码等请加引号，如 "{node.value}"；数值请去掉前导零'
        raise _LoadProblem("KH212", message, _span(loader.file, node), hint)
    return int(node.value)  # base 10: YAML 1.1 would read 012 as octal


def _construct_float(loader: _Loader, node: ScalarNode) -> float:
    _check_digits(loader, node, re.split("[.eE]", node.value.lstrip("+-"))[0])
    try:
        value = float(node.value)
    except ValueError:  # an explicit !!float on text
        message = f"{bounded(node.value)!r} 不是数值"
        raise _LoadProblem("KH212", message, _span(loader.file, node)) from None
    if not math.isfinite(value):
        _check_range(loader, node, "inf")  # 1e400 (and an explicit !!float nan)
    return value


# A percentage is text to YAML ("12.5%") and a number to the rules (build.number).
_PERCENT = re.compile(r"^\s*[-+]?([0-9]+)(?:\.[0-9]*)?\s*[%％]\s*$")


def _construct_str(loader: _Loader, node: ScalarNode) -> str:
    value = loader.construct_scalar(node)
    percent = _PERCENT.match(value) if value.rstrip().endswith(("%", "％")) else None
    if percent:
        _check_digits(loader, node, percent.group(1), quoted=True)
        _check_range(loader, node, value.strip().rstrip("%％"))
    return value


def _shown_number(node: ScalarNode) -> str:
    """A number as a message quotes it: whole when short, else its first 20 characters."""
    return node.value if len(node.value) <= 24 else node.value[:20] + "…"


def _check_digits(loader: _Loader, node: ScalarNode, digits: str, quoted: bool = False) -> None:
    """KH247 for a number written with more whole digits than INTEGER_DIGITS allows, before
    Python reads it: int() refuses over 4,300 digits, and a 400-digit one overflows the
    float every rule value becomes. No rule value needs more than a few digits."""
    limit = INTEGER_DIGITS.value()
    if len(digits) <= limit:
        return
    shown = _shown_number(node)
    message = (
        f"数值 {shown} 的整数部分有 {len(digits):,} 位，超过上限 {limit} 位"
        f"（{INTEGER_DIGITS.label}）"
    )
    hint = (
        INTEGER_DIGITS.hint()
        if quoted
        else f"编号、代码等请加引号写成文本；{INTEGER_DIGITS.hint()}"
    )
    raise _LoadProblem("KH247", message, _span(loader.file, node), hint)


def _check_range(loader: _Loader, node: ScalarNode, text: str) -> None:
    """KH214 for a number too large for a float, whatever INTEGER_DIGITS allows (a 400-digit
    满分 overflows later; int() refuses a 5,000-digit 精度). Decimal reads any length."""
    try:
        too_large = abs(Decimal(text.strip())) >= Decimal("1e308")
    except InvalidOperation:
        return  # not a numeral: the caller's own check names what it is
    if too_large:
        shown = _shown_number(node)
        message = f"数值 {shown} 超出范围（绝对值须小于 1e308）"
        raise _LoadProblem("KH214", message, _span(loader.file, node))


def _construct_map(loader: _Loader, node: MappingNode) -> YMap:
    loader.flatten_mapping(node)
    result = YMap(loader.file, _span(loader.file, node))
    forms: dict[str, str] = {}  # each key's NFKC form → the key as written
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key is None:
            raise _LoadProblem("KH211", "键必须是文本", _span(loader.file, key_node))
        key = str(key)
        _refuse(name_problem(key, _char_spans(loader.file, key_node)))
        form = name_key(key)
        if form in forms:
            earlier = forms[form]
            span = _span(loader.file, key_node)
            _refuse(duplicate_key(span, key, earlier, result.keys_at[earlier]))
        forms[form] = key
        result[key] = value = loader.construct_object(value_node, deep=True)
        if key in NAME_KEYS and isinstance(value, str):
            _refuse(name_problem(value, _char_spans(loader.file, value_node), key))
        result.keys_at[key] = _span(loader.file, key_node)
        result.values_at[key] = _span(loader.file, value_node)
        origin = _origin(loader.file, value_node, loader.lines)
        if origin is not None:
            result.origins[key] = origin
    return result


def _char_spans(file: str, node: Node) -> Callable[[int], Span]:
    """The place of character i of a one-line scalar (after its opening quote)."""
    start = node.start_mark
    quoted = isinstance(node, ScalarNode) and node.style in ('"', "'")
    first = start.column + 1 + int(quoted)
    return lambda i: Span(file, start.line + 1, first + i, start.line + 1, first + i + 1)


def _refuse(problem: Diagnostic | None) -> None:
    if problem is not None:
        raise _LoadProblem(problem.code, problem.message, problem.span, problem.hint)


def _construct_seq(loader: _Loader, node: SequenceNode) -> YList:
    result = YList(loader.file, _span(loader.file, node))
    for child in node.value:
        result.append(loader.construct_object(child, deep=True))
        result.items_at.append(_span(loader.file, child))
        result.origins.append(_origin(loader.file, child, loader.lines))
    return result


_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class _LoadProblem(Exception):
    def __init__(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostic = Diagnostic(code, message, span, hint)


def load_file(path: Path, display: str | None = None) -> object:
    """One YAML file as YMap/YList/scalars; raise KaoheError (KH2xx) when it cannot be read."""
    file = display or str(path)
    text = _read_text(path, file)
    loader = _Loader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            return YMap(file, Span(file, 1, 1, 1, 1))
        _check_size(node, file)
        return loader.construct_document(node)
    except _LoadProblem as problem:
        raise KaoheError([problem.diagnostic]) from None
    except yaml.MarkedYAMLError as error:
        raise KaoheError([_syntax_problem(error, file, text)]) from None
    except (ConstructorError, yaml.YAMLError, RecursionError) as error:
        raise _failure("KH201", f"无法解析 YAML：{error}", Span(file, 1, 1, 1, 2)) from None
    finally:
        loader.dispose()


def _failure(code: str, message: str, span: Span, hint: str | None = None) -> KaoheError:
    return KaoheError([Diagnostic(code, message, span, hint)])


def _read_text(path: Path, file: str) -> str:
    start = Span(file, 1, 1, 1, 2)
    try:
        data = buffered(path)
        size = path.stat().st_size if data is None else len(data)
        limit = RULE_FILE_BYTES.value()
        if size > limit:
            message = f"文件过大：{size:,} 字节，上限 {limit:,} 字节"
            raise _failure("KH205", message, start, RULE_FILE_BYTES.hint())
        if data is None:
            data = path.read_bytes()
    except OSError as error:
        raise _failure("KH208", f"无法读取文件：{os_reason(error)}", start) from None
    if b"\x00" in data:
        line, column = _position_of(data, data.index(b"\x00"))
        span = Span(file, line, column, line, column + 1)
        raise _failure("KH204", "文件中有 NUL 字节，不是文本文件", span)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _position_of(data, error.start)
        span = Span(file, line, column, line, column + 1)
        hint = "用编辑器另存为 UTF-8（Excel 导出的 GBK/GB18030 文件需要转换）"
        raise _failure("KH204", "文件不是 UTF-8 编码", span, hint) from None
    hidden = _INVISIBLE.search(text)
    if hidden:
        # YAML refuses these (or, for U+FEFF, mis-reads the line) without saying where.
        before = text[: hidden.start()]
        line = before.count("\n") + 1
        column = hidden.start() - (before.rfind("\n") + 1) + 1
        char = hidden.group()
        what = "看不见的字符" if char == "\ufeff" else "控制字符"
        message = f"文件中有{what} U+{ord(char):04X}"
        hint = "删除它（常见于从网页或 Word 复制的文字）"
        raise _failure("KH204", message, Span(file, line, column, line, column + 1), hint)
    return text


# Control characters YAML does not allow, and U+FEFF, which YAML silently mis-reads mid-file.
# (Zero-width spaces are left to the expression checker, which names them: KH104.)
_INVISIBLE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff]")


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
    return line, column


def _within_limits(root: Node) -> bool:
    """True when no path is deeper than MAX_DEPTH and the document, aliases expanded, has
    at most MAX_NODES values: then _check_size has nothing to say. One visit per value,
    stopping at the first limit passed, so an alias bomb costs no more than MAX_NODES."""
    count = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            return False
        kind = type(node)
        if kind is MappingNode:
            for key, value in node.value:
                push((key, depth + 1))
                push((value, depth + 1))
        elif kind is SequenceNode:
            stack.extend((item, depth + 1) for item in node.value)
        elif kind is not ScalarNode:
            return False  # a node of another kind: the full check decides
    return True


def _check_size(root: Node, file: str) -> None:
    """Reject documents nested too deeply or whose aliases expand too far."""
    if _within_limits(root):
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise _LoadProblem(
                "KH206", f"嵌套超过 {MAX_DEPTH} 层", _span(file, node), "规则文件不需要这么深的结构"
            )
        children = _children(node)
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise _LoadProblem(
                    "KH207",
                    f"展开后超过 {MAX_NODES:,} 个值（别名 * 引用过多或层层嵌套）",
                    _span(file, node),
                    "这通常是恶意的“别名炸弹”；规则文件不需要这样的结构",
                )
        elif id(node) not in sizes:
            stack.append((node, depth, True))
            stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _syntax_problem(error: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    unclosed = error.context_mark is not None and (
        "did not find expected ','" in str(error.problem) or "quoted scalar" in str(error.context)
    )
    if unclosed:
        # Point at the bracket or quote left open, not at the end of the file.
        mark = error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    opened = _unclosed_quote(text, line)
    if opened is not None:
        # A quote left open swallows the lines after it; libyaml notices only where the
        # swallowed text stops making sense, often far below.
        line, column = opened
        span = Span(file, line, column, line, column + 1)
        hint = '在这一行的值末尾补上 "，或去掉开头的 "'
        return Diagnostic("KH201", "YAML 格式错误：引号没有闭合", span, hint)
    span = Span(file, line, column, line, column + 1)
    problem = error.problem or "格式错误"
    if "<stream end>" in problem:
        problem = "found unexpected end of stream"
    lines = text.splitlines()
    char = (
        lines[line - 1][column - 1]
        if 0 < line <= len(lines) and column <= len(lines[line - 1])
        else ""
    )
    if "maximum nesting depth" in problem:
        return Diagnostic("KH206", f"嵌套超过 {MAX_DEPTH} 层", span, "规则文件不需要这么深的结构")
    if char == "\t" or "\\t" in problem:
        return Diagnostic(
            "KH203", "YAML 不能用 Tab 缩进", span, "把 Tab 换成空格（通常两个空格一级）"
        )
    cause = _quoting_cause(lines, _nearby(line, error))
    if cause is not None:
        at, column, message, hint = cause
        span = Span(file, at, column, at, column + 1)
        return Diagnostic("KH201", f"YAML 格式错误：{message}", span, hint)
    message = f"YAML 格式错误：{_PROBLEMS.get(problem, problem)}"
    return Diagnostic("KH201", message, span, _yaml_hint(problem, char))


def _nearby(line: int, error: yaml.MarkedYAMLError) -> list[int]:
    """The line libyaml stopped at, the one above it (a colon YAML did not take shows
    only on the next line) and the line where the construct it was reading began."""
    numbers = [line, line - 1]
    if error.context_mark is not None:
        numbers.append(error.context_mark.line + 1)
    return numbers


# A key written with a full-width colon (满分：6) or with no space after ':' (满分:6).
# (Not after "- ": a list item of prose may well hold a full-width colon.)
_FULLWIDTH_KEY = re.compile(r"^\s*[^\W\d][\w（）()]{0,20}(：)")
_UNSPACED_KEY = re.compile(r"^\s*[^\W\d][\w（）()]{0,20}(:)[^\s/:]")
# A value in a flow mapping with a '[' after its start, or a bracket still open at a
# comma: an unquoted formula (x in [1, 2], max(a, b)) that YAML reads as structure.
_FLOW_FORMULA = re.compile(r"[{,]\s*[^\s:{}\[\],\"']+:\s+([^\s\"'{\[,][^,{}\[]*?(?:\([^()]*,|\[))")
# A value that starts with a quoted text and goes on after it ("第一等次" == 等次).
_QUOTED_HEAD = re.compile(r":\s+([\"'])[^\"']*\1\s*[^\s#,}\]]")

_CAUSES = (
    (_FULLWIDTH_KEY, "冒号是全角的 '：'", "YAML 只认半角冒号加空格：写成 满分: 6 这样"),
    (_UNSPACED_KEY, "冒号后缺少空格", "半角冒号 ':' 后要有一个空格才是 键: 值，如 满分: 6"),
    (
        _FLOW_FORMULA,
        "花括号里的公式没有加引号",
        "花括号 {…} 里的公式含逗号、方括号或引号时，请给整个公式加引号，"
        '如 {计分: "max(a, b)"}（公式里有双引号时用单引号）；或改用分行（块）写法',
    ),
    (
        _QUOTED_HEAD,
        "值以引号开头，YAML 只取到引号闭合处",
        "以引号开头的公式请用另一种引号把整个公式括起来，如 '\"第一等次\" == 等次'",
    ),
)


def _quoting_cause(lines: list[str], numbers: list[int]) -> tuple[int, int, str, str] | None:
    """(line, column, message, hint) when YAML read a nearby line otherwise than meant
    because a quote is missing or a colon is full-width or unspaced; checked cause by
    cause, so the likeliest wins whichever of the lines shows it."""
    for pattern, message, hint in _CAUSES:
        for number in numbers:
            text = lines[number - 1] if 0 < number <= len(lines) else ""
            found = pattern.search(text)
            if found:
                return number, found.start(1) + 1, message, hint
    return None


def quoting_hint(texts: list[str]) -> str | None:
    """The hint for a text (a key or value the schema refused) that a missing quote or
    a full-width or unspaced colon made into what YAML read."""
    cause = _quoting_cause(texts, list(range(1, len(texts) + 1)))
    return None if cause is None else f"{cause[2]}；{cause[3]}"


def _unclosed_quote(text: str, before: int) -> tuple[int, int] | None:
    """(line, column) of a double-quoted scalar opened above line ``before`` and not closed
    before it; None when there is none. A quote opens a scalar only where a value starts
    (after "key: ", "- ", "[", "{" or ","); one inside plain text (屏幕 5" 大) is a character."""
    lines = text.splitlines()
    opened: tuple[int, int] | None = None
    escaped = False
    for number, raw in enumerate(lines[: before - 1], 1):
        for column, char in enumerate(raw, 1):
            if opened is not None:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    opened = None
                continue
            if char == "#" and (column == 1 or raw[column - 2] in " \t"):
                break  # a comment: quotes in it mean nothing
            if char == "'":
                break  # single-quoted text may hold " freely; do not guess
            if char == '"' and _starts_value(raw, column):
                opened = (number, column)
    return opened


def _starts_value(raw: str, column: int) -> bool:
    """Whether a character at ``column`` is the first of a YAML value."""
    before = raw[: column - 1].rstrip()
    return before == "" or before.endswith((":", "-", "[", "{", ","))


_PROBLEMS = {
    "could not find expected ':'": "缺少冒号 ':'",
    "mapping values are not allowed here": "此处不能出现 '键: 值'",
    "mapping values are not allowed in this context": "此处不能出现 '键: 值'",
    "did not find expected ',' or ']'": "列表的方括号没有闭合（缺少 ']'）",
    "did not find expected ',' or '}'": "映射的花括号没有闭合（缺少 '}'）",
    "found character that cannot start any token": "有无法识别的字符",
    "found undefined alias": "引用了未定义的别名",
    "expected <block end>, but found '-'": "列表项的缩进与上文不一致",
    "did not find expected key": "缩进不一致，找不到预期的键",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合）",
}


def _yaml_hint(problem: str, char: str = "") -> str | None:
    if "cannot start any token" in problem and char in "@`%":
        return f"YAML 中以 {char} 开头的值须加引号"
    if "undefined alias" in problem:
        return "以 * 开头的值会被当作别名引用；若是文字或公式，请加引号"
    if "tag" in problem and char == "!":
        return "以 ! 开头的值会被当作 YAML 标签；若是文字或公式，请加引号"
    if "but found '<scalar>'" in problem and char in "\"'[{":
        return (
            "值以引号或括号开头时，YAML 只取到它的结尾为止；"
            "若是公式，请用另一种引号把整个公式括起来，如 '\"第一等次\" == 等次'"
        )
    if "mapping values" in problem:
        return "值里含有 ': ' 时请给整个值加引号"
    if "did not find expected ','" in problem:
        return "在对应位置补上右括号，或检查列表项之间的逗号"
    if "indent" in problem or "block end" in problem or "expected key" in problem:
        return "检查这一行和上一行的缩进是否对齐"
    return None
