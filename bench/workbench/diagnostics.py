"""Keystroke-to-diagnostics latency of the editing services (kaohe_rules.editing).

    python bench/workbench/diagnostics.py [--repeat 15]

The edit: rules/2024/市县.yaml given 发展's weight (权重: 60) in an unsaved buffer, which
breaks the paper weights' sum (KH225) in 2024. Prints the median milliseconds of:

- overlay: ``editing.diagnose`` (the loader reads the buffer instead of the file);
- copy: the alternative, a temporary copy of the rules root with the buffer written,
  then the same ``pipeline.check_rules`` on the copy;
- keystroke: what the language server does on a change: the rule sets the edit
  affects (``editing.affected_rule_sets``), then ``diagnose`` for each of them;
- 2023 keystroke: the same for an edit of rules/2023/市县.yaml, which 2024 inherits;
- kaohe lsp: the server as an editor runs it, from didChange (the whole text, broken and
  fixed in turn) to the publishDiagnostics that shows or clears KH225, its pause of
  0.1 s after a change included.

Every run types one more character (a comment at the end of the buffer), as a keystroke
does: the editing services keep the last checks by their buffers, and the same buffer
twice would time that memory, not a check.

Target: under 300 ms median for the keystroke on rules/2024 (docs/decisions.md, 100).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from timing import median_seconds  # noqa: E402  (bench/ holds the shared timer)

from kaohe_rules.editing import affected_rule_sets, diagnose  # noqa: E402
from kaohe_rules.pipeline import check_rules  # noqa: E402

RULES = ROOT / "rules"
EDITED = RULES / "2024" / "市县.yaml"
BEFORE = "  发展:\n    指标:\n"
AFTER = "  发展:\n    权重: 60\n    指标:\n"


def _buffer() -> str:
    text = EDITED.read_text(encoding="utf-8")
    assert BEFORE in text, "rules/2024/市县.yaml changed: update the benchmark's edit"
    return text.replace(BEFORE, AFTER, 1)


class Typing:
    """A buffer that gains one character at each call."""

    def __init__(self, text: str) -> None:
        self.text, self.count = text + "# ", 0

    def __call__(self) -> str:
        self.count += 1
        return self.text + "x" * self.count


def _copy_and_check(buffer: str) -> list:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "rules"
        shutil.copytree(RULES, copy, ignore=shutil.ignore_patterns("tests"))
        (copy / "2024" / "市县.yaml").write_text(buffer, encoding="utf-8")
        return check_rules(copy / "2024").diagnostics


def _keystroke(path: Path, buffer: str) -> list:
    overrides = {path: buffer}
    found = []
    for folder in affected_rule_sets(RULES, path, overrides):
        found += diagnose(RULES, folder, overrides)
    return found


async def _server_medians(buffer: str, repeat: int) -> float:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient
    from pygls.uris import from_fs_path

    client = LanguageClient("bench", "1")
    uri = from_fs_path(str(EDITED))
    seen: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri:
            seen.put_nowait({d.code for d in params.diagnostics})

    await client.start_io(sys.executable, str(ROOT / "cli.py"), "lsp", "--root", str(RULES))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    saved = EDITED.read_text(encoding="utf-8")
    item = types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=saved)
    client.text_document_did_open(types.DidOpenTextDocumentParams(item))
    await seen.get()
    samples = []
    for version in range(2, repeat + 2):
        broken = version % 2 == 0
        typed = f"{buffer if broken else saved}# {version}\n"
        change = types.TextDocumentContentChangeWholeDocument(typed)
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))
        while ("KH225" in await seen.get()) != broken:
            pass
        samples.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    buffer = _buffer()
    codes = {d.code for d in diagnose(RULES, RULES / "2024", {EDITED: buffer})}
    assert "KH225" in codes, codes
    older = RULES / "2023" / "市县.yaml"
    older_buffer = older.read_text(encoding="utf-8").replace("权重: 55", "权重: 60", 1)
    typed, older_typed = Typing(buffer), Typing(older_buffer)
    runs = {
        "overlay (diagnose, rules/2024)": lambda: diagnose(
            RULES, RULES / "2024", {EDITED: typed()}
        ),
        "copy (temporary root, rules/2024)": lambda: _copy_and_check(typed()),
        "keystroke (2024/市县.yaml: 2024)": lambda: _keystroke(EDITED, typed()),
        "keystroke (2023/市县.yaml: 2023, 2024)": lambda: _keystroke(older, older_typed()),
    }
    for name, run in runs.items():
        print(f"{name:42} {median_seconds(run, repeat) * 1000:7.1f} ms median of {repeat}")
    served = asyncio.run(_server_medians(buffer, repeat))
    name = "kaohe lsp (didChange → publishDiagnostics)"
    print(f"{name:42} {served * 1000:7.1f} ms median of {repeat}")


if __name__ == "__main__":
    main()
