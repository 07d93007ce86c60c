"""``kaohe lsp``: a Language Server over stdio on the editing services (pygls).

Protocol only: what a diagnostic, a completion or a hover says comes from
kaohe_rules.editing, which runs the checks of ``kaohe validate``. This module keeps the
open documents (pygls's workspace, full or incremental sync), decides which rule sets an
edit affects, converts positions (editing/positions.py) and never lets an exception
reach the client as a traceback: a failed check is a KH580 diagnostic, a failed request
a KH581 error response.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.uris import from_fs_path, to_fs_path

from kaohe_rules import __version__, editing
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.editing.files import rule_set_of
from kaohe_rules.editing.positions import from_lsp, lines_of, to_lsp
from kaohe_rules.rules.assemble import RULESET_FILE
from kaohe_rules.source import Span, bounded

T = TypeVar("T")

# A check starts this long after the last keystroke: typing a word costs one check.
DEBOUNCE_SECONDS = 0.1
BUG_HINT = "这是 kaohe 的缺陷，不是规则的问题；请把这个文件和这条消息报告给维护者"

_KINDS = {
    "键": types.CompletionItemKind.Property,
    "取值": types.CompletionItemKind.EnumMember,
    "指标": types.CompletionItemKind.Variable,
    "数据项": types.CompletionItemKind.Field,
    "单位属性": types.CompletionItemKind.Property,
    "考卷": types.CompletionItemKind.Module,
    "函数": types.CompletionItemKind.Function,
    "名称": types.CompletionItemKind.Constant,
}
_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
}


REFUSED = "$/kaohe/refused"  # what a request that could not be read becomes, once answered


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, except that a request whose parameters do not fit the method
    gets an error response (pygls would only log it, and the editor would wait forever)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if not ("id" in data and "method" in data):
                raise
            method = bounded(str(data["method"]), 80)
            message = f"KH581 请求 {method} 的参数不符合协议：{error.message}"
            self._send_response(data["id"], error=types.ResponseError(error.code, message))
            return JsonRPCNotification(method=REFUSED, jsonrpc="2.0", params=None)


class KaoheServer(LanguageServer):
    """The server: open buffers, the diagnostics last found per rule set, one worker."""

    def __init__(self, root: Path | None) -> None:
        super().__init__("kaohe", __version__, protocol_cls=_Protocol)
        self.given_root = root
        self.found: dict[Path, list[Diagnostic]] = {}  # rule set folder → its diagnostics
        self.dirty: set[Path] = set()  # files edited since the last check
        self.timer: asyncio.TimerHandle | None = None
        self.running: asyncio.Future | None = None
        # One worker runs every check, completion and hover in turn: the engine's caches
        # are shared, and the protocol's loop stays free to read the next message.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaohe-check")

    # --- where things are

    def root(self) -> Path:
        """The rules root: --root, else the workspace's folder, else the file system's."""
        if self.given_root is not None:
            return self.given_root
        try:
            found = self.workspace.root_path
        except RuntimeError:  # before initialize
            found = None
        return Path(found).resolve() if found else Path("/")

    def buffers(self) -> dict[Path, str]:
        """Every open document's text by its absolute path."""
        out = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = _path(uri)
            if path is not None:
                out[path] = document.source
        return out

    def lines(self, path: Path, buffers: Mapping[Path, str]) -> list[str]:
        """The text of ``path`` as the client sees it: its buffer, else the file."""
        text = buffers.get(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
        return lines_of(text)

    def encoding(self) -> str:
        """The position encoding agreed at initialization ("utf-16" unless the client
        offered another first)."""
        try:
            agreed = self.workspace.position_encoding
        except RuntimeError:  # before initialize
            agreed = None
        return str(getattr(agreed, "value", agreed) or "utf-16")

    # --- checks, debounced

    def edited(self, path: Path) -> None:
        """Schedule a check of what an edit of ``path`` affects."""
        self.dirty.add(path)
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self._start)

    def _start(self) -> None:
        self.timer = None
        if self.running is None and self.dirty:
            self.running = asyncio.ensure_future(self._check_all())

    async def _check_all(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.dirty:  # edits made during a check are checked after it
                paths, self.dirty = self.dirty, set()
                buffers = self.buffers()
                found = await loop.run_in_executor(self.worker, self._check, paths, buffers)
                try:
                    self._publish(found, paths, buffers)
                except Exception as error:  # a bug: one line in the log, the next edit retries
                    self.report_server_error(error, None)
        finally:
            self.running = None

    def _check(self, paths: Iterable[Path], buffers: Mapping[Path, str]) -> dict:
        root = self.root()
        folders: dict[Path, None] = {}
        found: dict[Path, list[Diagnostic]] = {}
        for path in paths:
            try:
                folders.update(dict.fromkeys(editing.affected_rule_sets(root, path, buffers)))
            except Exception as error:  # a bug: said at the file, never as a traceback
                logging.getLogger(__name__).debug("affected rule sets of %s", path, exc_info=True)
                own = rule_set_of(path, root)
                if own is not None:
                    found[own] = [_internal(error, path)]
        for folder in folders:
            try:
                diagnostics = editing.diagnose(root, folder, buffers)
            except Exception as error:
                logging.getLogger(__name__).debug("diagnose %s", folder, exc_info=True)
                diagnostics = [_internal(error, folder / RULESET_FILE)]
            found[folder] = [_placed(d, folder) for d in diagnostics]
        return found

    def _publish(
        self, found: dict[Path, list[Diagnostic]], edited: set[Path], buffers: Mapping
    ) -> None:
        files = set(edited)
        for folder, diagnostics in found.items():
            for d in (*self.found.get(folder, ()), *diagnostics):
                files.add(Path(d.span.file))
            self.found[folder] = diagnostics
        for path in sorted(files):
            shown = self._for_file(path)
            lines = self.lines(path, buffers)
            items = [_lsp_diagnostic(d, lines, self.encoding()) for d in shown]
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=from_fs_path(str(path)), diagnostics=items)
            )

    def _for_file(self, path: Path) -> list[Diagnostic]:
        """The diagnostics in ``path`` of every rule set, each problem once (a file that
        several years share reports a problem once, as kaohe validate does)."""
        unique: dict[tuple, Diagnostic] = {}
        for diagnostics in self.found.values():
            for d in diagnostics:
                if Path(d.span.file) == path:
                    unique.setdefault((d.code, d.span, d.message), d)
        return sorted(unique.values(), key=Diagnostic.sort_key)

    # --- requests

    async def ask(self, uri: str, position: types.Position, answer: Callable[..., T]) -> T | None:
        """Run ``answer(root, rules, buffers, path, line, column)`` in the worker for a
        position of a document; None outside any rule set. A failure is a KH581 error
        response with a Chinese message."""
        path = _path(uri)
        if path is None:
            return None
        buffers = self.buffers()
        root = self.root()
        folder = rule_set_of(path, root)
        if folder is None:
            return None
        lines = self.lines(path, buffers)
        line, column = from_lsp(lines, position.line, position.character, self.encoding())

        def run() -> T:
            return answer(root, folder, buffers, path, line, column)

        try:
            return await asyncio.get_running_loop().run_in_executor(self.worker, run)
        except Exception as error:
            logging.getLogger(__name__).debug("request on %s", path, exc_info=True)
            message = f"KH581 处理请求时出错：{type(error).__name__}: {error}"
            raise JsonRpcException(message=message, code=-32603) from None

    def report_server_error(self, error: Exception, source: Any) -> None:
        """An error outside any request (a message that does not parse …): one Chinese
        line in the client's log, never a traceback."""
        self.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Error,
                message=f"kaohe lsp：{type(error).__name__}: {error}",
            )
        )


def _path(uri: str) -> Path | None:
    """The local file a URI names (None for untitled: and other schemes)."""
    if not uri.startswith("file:"):
        return None
    found = to_fs_path(uri)
    if not found:
        return None
    try:
        return Path(found).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _internal(error: Exception, path: Path) -> Diagnostic:
    message = f"检查时出错：{type(error).__name__}: {error}"
    return Diagnostic("KH580", message, Span(str(path), 1, 1, 1, 2), BUG_HINT)


def _placed(diagnostic: Diagnostic, folder: Path) -> Diagnostic:
    """A diagnostic without a place is said at the rule set's 规则集.yaml, line 1; one whose
    file could not be found (an absolute path the editing layer did not know) too."""
    span = diagnostic.span
    if span is not None and Path(span.file).is_absolute():
        return diagnostic
    place = Span(str(folder / RULESET_FILE), 1, 1, 1, 1)
    return Diagnostic(
        diagnostic.code,
        diagnostic.message,
        place,
        diagnostic.hint,
        diagnostic.context,
        diagnostic.severity,
    )


def _lsp_range(lines: list[str], span: Span, encoding: str) -> types.Range:
    start = to_lsp(lines, span.line, span.column, encoding)
    end = to_lsp(lines, span.end_line, span.end_column, encoding)
    if end <= start:  # a point: mark one character, so the editor shows it
        end = to_lsp(lines, span.line, span.column + 1, encoding)
    return types.Range(types.Position(*start), types.Position(*end))


def _lsp_diagnostic(d: Diagnostic, lines: list[str], encoding: str) -> types.Diagnostic:
    message = d.message if d.hint is None else f"{d.message}\n提示：{d.hint}"
    if d.context:
        message += f"\n位置：{' › '.join(d.context)}"
    return types.Diagnostic(
        range=_lsp_range(lines, d.span, encoding),
        message=message,
        severity=_SEVERITIES.get(d.severity, types.DiagnosticSeverity.Error),
        code=d.code,
        source="kaohe",
    )


def _typed_range(lines: list[str], position: types.Position, encoding: str) -> types.Range:
    """The name typed so far before ``position``: what a completion replaces."""
    line, column = from_lsp(lines, position.line, position.character, encoding)
    text = lines[line - 1][: column - 1] if line <= len(lines) else ""
    start = column
    while start > 1 and (text[start - 2].isalnum() or text[start - 2] in "_."):
        start -= 1
    begin = to_lsp(lines, line, start, encoding)
    return types.Range(types.Position(*begin), position)


def build(root: Path | None) -> KaoheServer:
    """The server with its features registered."""
    server = KaoheServer(root)

    @server.feature(REFUSED)
    def refused(ls: KaoheServer, params: object) -> None:
        """Already answered with an error (_Protocol)."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KaoheServer, params: types.DidOpenTextDocumentParams) -> None:
        _edited(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KaoheServer, params: types.DidChangeTextDocumentParams) -> None:
        _edited(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KaoheServer, params: types.DidSaveTextDocumentParams) -> None:
        _edited(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KaoheServer, params: types.DidCloseTextDocumentParams) -> None:
        _edited(ls, params.text_document.uri)  # checked again as saved on disk

    options = types.CompletionOptions(trigger_characters=[".", ":", "("])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, options)
    async def completion(
        ls: KaoheServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        found = await ls.ask(params.text_document.uri, params.position, editing.complete)
        if found is None:
            return None
        lines = ls.lines(_path(params.text_document.uri), ls.buffers())
        replaced = _typed_range(lines, params.position, ls.encoding())
        items = [_item(c, replaced) for c in found]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: KaoheServer, params: types.HoverParams) -> types.Hover | None:
        found = await ls.ask(params.text_document.uri, params.position, editing.hover)
        if found is None:
            return None
        lines = ls.lines(_path(params.text_document.uri), ls.buffers())
        span = Span("", found.line, found.column, found.line, found.end_column)
        contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.text)
        return types.Hover(contents=contents, range=_lsp_range(lines, span, ls.encoding()))

    return server


def _edited(ls: KaoheServer, uri: str) -> None:
    path = _path(uri)
    if path is not None:
        ls.edited(path)


def _item(completion: editing.Completion, replaced: types.Range) -> types.CompletionItem:
    documentation = None
    if completion.documentation:
        documentation = types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=completion.documentation
        )
    return types.CompletionItem(
        label=completion.label,
        kind=_KINDS.get(completion.kind, types.CompletionItemKind.Text),
        detail=" ".join(filter(None, (completion.kind, completion.detail))),
        documentation=documentation,
        text_edit=types.TextEdit(range=replaced, new_text=completion.label),
    )


class _FirstLine(logging.Formatter):
    """A log record as one line, without the traceback pygls adds to a message it cannot
    read: the editor shows the server's standard error to the user."""

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().splitlines() or [""]
        return f"kaohe lsp：{record.levelname} {lines[0]}"


def _quiet_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_FirstLine())
    top = logging.getLogger()
    top.handlers[:] = [handler]
    top.setLevel(logging.WARNING)


def serve(root: Path | None) -> None:
    """Answer an editor over standard input and output until it exits."""
    _quiet_logging()
    build(root).start_io()
