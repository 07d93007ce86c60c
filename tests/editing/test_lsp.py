"""``kaohe lsp`` as an editor runs it: a subprocess spoken to over stdio by pygls's
language client, on the rules root tests/editing/rules (2024 inherits 2023)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from tests.conftest import ROOT as CHECKOUT

ROOT = Path(__file__).resolve().parent / "rules"
DOMAIN_2023, DOMAIN_2024 = ROOT / "2023" / "市县.yaml", ROOT / "2024" / "市县.yaml"
WAIT = 60  # seconds: a loaded CI machine checks slowly, a hung server fails


class Editor:
    """A language client that keeps the diagnostics last published for each file."""

    def __init__(self) -> None:
        self.client = LanguageClient("test-editor", "1")
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.logged: list[str] = []
        self.changed = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = params.diagnostics
            self.changed.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.logged.append(params.message)

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.logged.append(params.message)

    async def start(self, *args: str, encodings: list[str] | None = None) -> None:
        await self.client.start_io(sys.executable, str(CHECKOUT / "cli.py"), "lsp", *args)
        general = types.GeneralClientCapabilities(position_encodings=encodings)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(general=general),
                root_uri=from_fs_path(str(ROOT)),
                workspace_folders=[types.WorkspaceFolder(from_fs_path(str(ROOT)), "rules")],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        process = self.client._server  # what the editor would show of the server's stderr
        if process is not None and process.stderr is not None:
            self.logged.append((await process.stderr.read()).decode("utf-8", "replace"))

    def open(self, path: Path, text: str | None = None) -> str:
        uri = from_fs_path(str(path))
        self.versions[uri] = 1
        text = path.read_text(encoding="utf-8") if text is None else text
        item = types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(item))
        return uri

    def replace(self, uri: str, line: int, old: str, new: str, text: str) -> str:
        """An incremental change: ``old`` on 0-based ``line`` becomes ``new``."""
        start = text.split("\n")[line].index(old)
        where = types.Range(types.Position(line, start), types.Position(line, start + len(old)))
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [types.TextDocumentContentChangePartial(range=where, text=new)],
            )
        )
        lines = text.split("\n")
        lines[line] = lines[line].replace(old, new, 1)
        return "\n".join(lines)

    async def until(self, uri: str, done: Callable[[list[types.Diagnostic]], bool]) -> list:
        """The diagnostics of ``uri`` once ``done`` holds of them."""

        async def wait() -> list:
            while not (uri in self.published and done(self.published[uri])):
                self.changed.clear()
                await self.changed.wait()
            return self.published[uri]

        return await asyncio.wait_for(wait(), WAIT)


def _line_of(text: str, needle: str) -> int:
    """The 0-based line holding ``needle``."""
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


def _codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def run(scenario: Callable[[Editor], object], *args: str, encodings=None) -> None:
    async def main() -> None:
        editor = Editor()
        await editor.start(*args, encodings=encodings)
        try:
            await scenario(editor)
        finally:
            await editor.stop()
        assert not [m for m in editor.logged if "Traceback" in m], editor.logged

    asyncio.run(main())


def test_a_broken_weights_sum_is_published_at_its_line_and_cleared_when_fixed() -> None:
    async def scenario(editor: Editor) -> None:
        text = DOMAIN_2024.read_text(encoding="utf-8")
        uri = editor.open(DOMAIN_2024, text)
        await editor.until(uri, lambda found: "KH225" not in _codes(found))
        line = _line_of(text, "权重: 25")
        text = editor.replace(uri, line, "25", "35", text)
        found = await editor.until(uri, lambda found: "KH225" in _codes(found))
        weights = next(d for d in found if d.code == "KH225")
        assert weights.range.start.line == _line_of(text, "党建:")  # the papers' first key
        assert weights.severity == types.DiagnosticSeverity.Error
        assert "各考卷权重之和为 110" in weights.message and weights.source == "kaohe"
        # the fix as a client with full sync sends it: the whole text
        editor.versions[uri] += 1
        fixed = text.replace("权重: 35", "权重: 25", 1)
        editor.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=editor.versions[uri]),
                [types.TextDocumentContentChangeWholeDocument(fixed)],
            )
        )
        await editor.until(uri, lambda found: "KH225" not in _codes(found))

    run(scenario)


def test_closing_an_unsaved_buffer_checks_the_file_as_saved() -> None:
    async def scenario(editor: Editor) -> None:
        text = DOMAIN_2024.read_text(encoding="utf-8").replace("权重: 25", "权重: 35", 1)
        uri = editor.open(DOMAIN_2024, text)
        await editor.until(uri, lambda found: "KH225" in _codes(found))
        editor.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        )
        await editor.until(uri, lambda found: "KH225" not in _codes(found))

    run(scenario)


def test_an_edit_of_2023_is_published_for_2023s_file_and_2024s() -> None:
    async def scenario(editor: Editor) -> None:
        text = DOMAIN_2023.read_text(encoding="utf-8")
        uri = editor.open(DOMAIN_2023, text)
        await editor.until(uri, lambda found: "KH225" not in _codes(found))
        # renaming 2023's paper 党建 leaves 2024's patch (党建: 权重: 25) a paper of its
        # own: 2024's file gets KH231, and 2023's file the sum 2024 finds there (KH225)
        editor.replace(uri, _line_of(text, "  党建:"), "党建", "党建卷", text)
        other = from_fs_path(str(DOMAIN_2024))
        in_2024 = await editor.until(other, lambda found: "KH231" in _codes(found))
        assert in_2024[0].range.start.line == 3
        await editor.until(uri, lambda found: "KH225" in _codes(found))

    run(scenario)


def test_completion_of_a_schema_key_and_of_a_formula_name() -> None:
    async def scenario(editor: Editor) -> None:
        text = DOMAIN_2023.read_text(encoding="utf-8")
        uri = editor.open(DOMAIN_2023, text)
        line = _line_of(text, "    权重: 30")
        text = editor.replace(uri, line, "权重: 30", "权重: 30\n    折", text)
        position = types.Position(line + 1, len("    折"))
        found = await editor.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), position)
        )
        keys = {item.label: item for item in found.items}
        assert "折算" in keys and keys["折算"].kind == types.CompletionItemKind.Property
        assert keys["折算"].text_edit.range.start.character == len("    ")
        formula = _line_of(text, "计分: 党建评分")
        column = text.split("\n")[formula].index("党建评分") + 2
        found = await editor.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), types.Position(formula, column)
            )
        )
        names = {item.label: item for item in found.items}
        assert names["党建评分"].kind == types.CompletionItemKind.Field
        assert names["linear"].kind == types.CompletionItemKind.Function
        assert "linear(" in names["linear"].detail

    run(scenario)


def test_hover_on_an_indicator_name() -> None:
    async def scenario(editor: Editor) -> None:
        text = (ROOT / "2023" / "规则集.yaml").read_text(encoding="utf-8")
        text = text.replace("  标签:\n", "  标签:\n    增速优秀: 地区生产总值增速 > 8%\n", 1)
        uri = editor.open(ROOT / "2023" / "规则集.yaml", text)
        line = _line_of(text, "增速优秀")
        column = text.split("\n")[line].index("地区生产总值增速") + 1
        found = await editor.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, column))
        )
        assert found is not None
        assert "按可比价格计算" in found.contents.value and "线性" in found.contents.value
        assert "2023/市县.yaml" in found.contents.value
        assert found.range.start == types.Position(line, column - 1)

    run(scenario)


@pytest.mark.parametrize(("encodings", "units"), [(None, 2), (["utf-32", "utf-16"], 1)])
def test_positions_after_an_astral_character_are_utf16(encodings, units) -> None:
    """🏅 is two UTF-16 code units, and one code point when the client asks for UTF-32."""

    async def scenario(editor: Editor) -> None:
        text = DOMAIN_2024.read_text(encoding="utf-8")
        text = text.replace(
            "考卷:\n", '标签:\n    奖牌单位: 等次 == "第一🏅" and 问题数x > 0\n考卷:\n', 1
        )
        uri = editor.open(DOMAIN_2024, text)
        found = await editor.until(uri, lambda found: "KH110" in _codes(found))
        unknown = next(d for d in found if d.code == "KH110")
        line = _line_of(text, "问题数x")
        characters = text.split("\n")[line].index("问题数x")
        assert unknown.range.start == types.Position(line, characters + units - 1)
        assert unknown.range.end == types.Position(line, characters + units - 1 + len("问题数x"))

    run(scenario, encodings=encodings)


def test_no_crash_outside_a_rule_set_on_bad_yaml_and_on_a_bad_request(tmp_path: Path) -> None:
    async def scenario(editor: Editor) -> None:
        readme = editor.open(ROOT / "README.md")
        await editor.until(readme, lambda found: not found)
        text = DOMAIN_2024.read_text(encoding="utf-8")
        uri = editor.open(DOMAIN_2024, text.replace("  党建:\n", "  党建: [\n", 1))
        found = await editor.until(uri, lambda found: bool(found))
        assert found[0].code.startswith("KH2")
        hovered = await editor.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(readme), types.Position(0, 0))
        )
        assert hovered is None
        # a position far past the end, a document never opened: answers, not errors
        far = types.Position(10_000, 10_000)
        await editor.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), far)
        )
        missing = from_fs_path(str(ROOT / "2024" / "没有.yaml"))
        await editor.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(missing), types.Position(0, 0))
        )
        # a request the server does not know: an error response, and the server lives on
        with pytest.raises(Exception) as refused:
            await editor.client.protocol.send_request_async("kaohe/nothing", {})
        assert "Traceback" not in str(refused.value)
        again = await editor.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(readme), types.Position(0, 0))
        )
        assert again is None

    run(scenario, "--root", str(ROOT))


def test_a_check_that_fails_is_a_kh580_diagnostic_not_a_traceback(monkeypatch) -> None:
    """A bug in a check (simulated) is said at the rule set, in Chinese, with a code."""
    from kaohe_rules import editing
    from kaohe_rules.workbench.lsp import KaoheServer

    def broken(root: Path, rules: Path, overrides: dict) -> list:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(editing, "diagnose", broken)
    found = KaoheServer(ROOT)._check([DOMAIN_2023], {})
    assert set(found) == {ROOT / "2023", ROOT / "2024"}
    (problem,) = found[ROOT / "2023"]
    assert problem.code == "KH580" and problem.span.file == str(ROOT / "2023" / "规则集.yaml")
    assert problem.message == "检查时出错：ZeroDivisionError: division by zero"


def test_the_documented_vs_code_settings_start_kaohe_lsp() -> None:
    import json
    import re

    text = (CHECKOUT / "docs" / "editors.md").read_text(encoding="utf-8")
    (settings,) = re.findall(r"```json\n(.*?)```", text, re.S)
    parsed = json.loads(settings)
    assert [parsed["glspc.server.command"], *parsed["glspc.server.commandArguments"]] == [
        "kaohe",
        "lsp",
    ]
    (lua,) = re.findall(r"```lua\n(.*?)```", text, re.S)
    assert 'cmd = { "kaohe", "lsp" }' in lua and "vim.lsp.start" in lua


def test_kaohe_help_and_lsp_help_do_not_import_pygls() -> None:
    import subprocess

    for args in (["-h"], ["lsp", "-h"]):
        script = (
            "import sys\n"
            f"sys.argv = ['kaohe', *{args!r}]\n"
            "from kaohe_rules.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', [m for m in ('pygls', 'lsprotocol') if m in sys.modules])\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        assert "LOADED []" in done.stdout, done.stdout[-300:]


def _frames(messages: list[dict]) -> bytes:
    import json

    out = b""
    for message in messages:
        body = json.dumps(message).encode("utf-8")
        out += b"Content-Length: %d\r\n\r\n" % len(body) + body
    return out


def _read_frames(data: bytes) -> list[dict]:
    import json

    found = []
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        found.append(json.loads(rest[:length]))
        data = rest[length:]
    return found


def test_a_request_whose_parameters_do_not_fit_gets_an_error_response() -> None:
    """Written as raw JSON-RPC: pygls's client will not send such a request. pygls's
    server would only log it; the editor would wait for the answer forever."""
    import subprocess

    stream = _frames(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "textDocument/completion",
                "params": {"textDocument": 5, "position": "here"},
            },
            {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
            {"jsonrpc": "2.0", "method": "exit"},
        ]
    )
    done = subprocess.run(
        [sys.executable, str(CHECKOUT / "cli.py"), "lsp", "--root", str(ROOT)],
        input=stream,
        capture_output=True,
        timeout=WAIT,
    )
    answers = {m["id"]: m for m in _read_frames(done.stdout) if "id" in m}
    assert answers[2]["error"]["message"].startswith("KH581 请求 textDocument/completion")
    assert answers[3]["result"] is None  # and the server went on to shut down cleanly
    assert b"Traceback" not in done.stdout + done.stderr
