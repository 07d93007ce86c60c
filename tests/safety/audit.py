"""A recorder of what the process does (sys.addaudithook), switched on around a block.

Audit hooks cannot be removed, so one hook is installed once and records only while a
``recording()`` block is active. It sees what Python code and C extensions ask the
interpreter for: opening files (with their mode), running commands, sockets, imports.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

_active: list[list[tuple[str, tuple]]] = []
_installed = False

# Events that must never happen while rule files are loaded and evaluated.
FORBIDDEN = (
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "subprocess.Popen",
    "socket.",
    "urllib.Request",
    "webbrowser.open",
    "pty.spawn",
)

# Events that change a file in place or by name.
MUTATING = (
    "os.rename",
    "os.remove",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.utime",
    "os.link",
    "os.symlink",
    "shutil.",
)


def _hook(event: str, args: tuple) -> None:
    if not _active:
        return
    if event in ("open", "import") or event.startswith(FORBIDDEN + MUTATING):
        _active[-1].append((event, tuple(args)))


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[str, tuple]]]:
    """Yield the list that collects (event, args) while the block runs."""
    _install()
    events: list[tuple[str, tuple]] = []
    _active.append(events)
    try:
        yield events
    finally:
        _active.remove(events)


def forbidden(events: list[tuple[str, tuple]]) -> list[tuple[str, tuple]]:
    return [(e, a) for e, a in events if e.startswith(FORBIDDEN)]


def changed_under(events: list[tuple[str, tuple]], folder) -> list[tuple[str, str]]:
    """(event, path) of every write-open, rename, removal, chmod… of a path in ``folder``."""
    import os

    root = os.path.realpath(folder)
    paths = [("open", p) for p in opened_for_writing(events)]
    for event, args in events:
        if event.startswith(MUTATING):
            paths += [(event, os.fsdecode(a)) for a in args if isinstance(a, str | bytes)]
    return [(e, p) for e, p in paths if os.path.realpath(p).startswith(root + os.sep)]


def opened_for_writing(events: list[tuple[str, tuple]]) -> list[str]:
    """Paths opened with a mode or flags that allow writing."""
    import os

    found = []
    for event, args in events:
        if event != "open" or not args:
            continue
        path, mode, flags = [*args, None, None, None][:3]
        writes = isinstance(mode, str) and any(c in mode for c in "wax+")
        if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC):
            writes = True
        if writes and path is not None and not isinstance(path, int):
            found.append(os.fsdecode(path))
    return found


def opened(events: list[tuple[str, tuple]]) -> list[str]:
    import os

    return [
        os.fsdecode(a[0])
        for e, a in events
        if e == "open" and a and a[0] is not None and not isinstance(a[0], int)
    ]
