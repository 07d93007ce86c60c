"""An editor's unsaved buffers, read instead of the rule files on disk.

The language server and the workbench (kaohe_rules.editing) check what the user sees,
not what was last saved, by the same loader: within ``buffers(...)``, loader.py reads a
file whose resolved path has a buffer as that buffer's text, then puts it through every
check a file on disk goes through (size, encoding, NUL and control characters, YAML).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

# A context variable, not a module global: each request of a server has its own.
_BUFFERS: ContextVar[Mapping[Path, str] | None] = ContextVar("kaohe_buffers", default=None)


@contextmanager
def buffers(texts: Mapping[Path, str]) -> Iterator[None]:
    """Within the block, a rule file whose resolved path is a key of ``texts`` reads as
    that text."""
    token = _BUFFERS.set({path.resolve(): text for path, text in texts.items()})
    try:
        yield
    finally:
        _BUFFERS.reset(token)


def buffered(path: Path) -> bytes | None:
    """The buffer of ``path`` as UTF-8 bytes, or None: read the file."""
    texts = _BUFFERS.get()
    if not texts:
        return None
    try:
        text = texts.get(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop: no buffer is that file
        return None
    # A lone surrogate (an editor may send one) reaches the decoder's KH204, not a crash.
    return None if text is None else text.encode("utf-8", errors="surrogatepass")
