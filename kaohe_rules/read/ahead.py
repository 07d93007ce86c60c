"""Parsing ahead: a large long-format file's blocks (CSV or Parquet) read on a background
thread while the rules load, for the columnar reader to take when it asks for the very
same blocks.

Loading the rules and planning them is Python on one core (5 s at 1,000,000 units); the
parse of a long file (3 s for its CSV) needs only the file. So the parse starts first, and
holds at most AHEAD_BYTES of parsed blocks until the reader takes them. What the reader
gets is exactly what it would have parsed itself: the same stream, the same blocks in
order, and any error raised where the stream raised it. A parse started for a file the
reader then reads otherwise (another encoding, the row reader) is stopped and dropped.

This module imports nothing from kaohe_rules: columnar.py starts and takes the parses.
"""

from __future__ import annotations

import atexit
import threading
from collections import deque
from collections.abc import Callable, Iterator

# Parsed batches held ahead of the reader, in the bytes Arrow holds for them (about 1.4x
# the CSV's): a whole long file of 100,000 units (57 MB of CSV), under half of one of a
# million (570 MB). Unbounded, a million units' run peaked 260 MB higher.
AHEAD_BYTES = 384 << 20

_AHEAD: dict[tuple, _Ahead] = {}
_LOCK = threading.Lock()


class _Ahead:
    """One file's stream read on a daemon thread, the batches waiting for the reader
    holding at most AHEAD_BYTES (always at least one batch)."""

    def __init__(self, open_stream: Callable) -> None:
        self.items: deque = deque()
        self.held = 0  # bytes of the batches waiting
        self.stopped = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(
            target=self._run, args=(open_stream,), name="kaohe-parse-ahead", daemon=True
        )
        self.thread.start()

    def _run(self, open_stream: Callable) -> None:
        try:
            with open_stream() as stream:
                for batch in stream:
                    if not self._put("batch", batch, batch.nbytes):
                        return  # dropped: the reader went another way
        except Exception as error:  # handed to the reader, raised where it reads
            self._put("error", error, 0)
            return
        self._put("end", None, 0)

    def _put(self, kind: str, item: object, size: int) -> bool:
        with self.changed:
            while self.held and self.held + size > AHEAD_BYTES and not self.stopped:
                self.changed.wait()
            if self.stopped:
                return False
            self.items.append((kind, item, size))
            self.held += size
            self.changed.notify_all()
            return True

    def batches(self) -> Iterator:
        """The stream's batches in order; its error, if it raised one, where it did."""
        try:
            while True:
                with self.changed:
                    while not self.items:
                        if not self.thread.is_alive() and not self.items:
                            # gone without a word (it always leaves one): never wait on it
                            raise OSError("读入数据文件的后台线程意外结束")
                        self.changed.wait(timeout=0.1)
                    kind, item, size = self.items.popleft()
                    self.held -= size
                    self.changed.notify_all()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the thread (it may be waiting for room) and let go of what it parsed."""
        with self.changed:
            self.stopped = True
            self.items.clear()
            self.held = 0
            self.changed.notify_all()


def start(key: tuple, open_stream: Callable) -> None:
    """Parse ahead the stream ``open_stream()`` opens (a context manager iterating record
    batches), for :func:`take` with the same ``key`` (which must name everything that
    makes the stream: the file, its size and time, the options)."""
    global _EXIT_HOOKED
    with _LOCK:
        if key not in _AHEAD:
            _AHEAD[key] = _Ahead(open_stream)
        if not _EXIT_HOOKED:
            # A parse still running when the interpreter shuts down (the rules had an
            # error, so the data was never read) crashed it inside pyarrow: stopped first.
            atexit.register(drop_all)
            _EXIT_HOOKED = True


_EXIT_HOOKED = False
# How long drop_all waits for a parse to stop (it finishes the block in hand first).
STOP_SECONDS = 30.0


def take(key: tuple) -> Iterator | None:
    """The batches parsed ahead under ``key`` (each taken once), or None."""
    with _LOCK:
        found = _AHEAD.pop(key, None)
    return None if found is None else found.batches()


def drop_all() -> None:
    """Stop and drop every parse not taken (the reader is done with the folder, or the
    evaluation ended before reading it), and wait for their threads to end."""
    with _LOCK:
        left = list(_AHEAD.values())
        _AHEAD.clear()
    for ahead in left:
        ahead.cancel()
    for ahead in left:
        ahead.thread.join(STOP_SECONDS)
