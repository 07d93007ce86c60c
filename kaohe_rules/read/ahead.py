"""Parsing ahead: a large CSV file's blocks parsed on a background thread while the rules
load, for the columnar reader to take when it asks for the very same blocks.

Loading the rules and planning them is Python on one core (5 s at 1,000,000 units); the
CSV parse of a long file (3 s) needs only the file. So the parse starts first, and
holds at most AHEAD_BYTES of parsed blocks until the reader takes them. What the reader
gets is exactly what it would have parsed itself: the same stream, the same blocks in
order, and any error raised where the stream raised it. A parse started for a file the
reader then reads otherwise (another encoding, the row reader) is stopped and dropped.

This module imports nothing from kaohe_rules: columnar.py starts and takes the parses.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

# Parsed blocks held ahead of the reader, in bytes of the file: a whole file of 100,000
# units (57 MB), half of one of a million (570 MB). Arrow holds about a block's bytes.
AHEAD_BYTES = 256 << 20

_AHEAD: dict[tuple, _Ahead] = {}
_LOCK = threading.Lock()


class _Ahead:
    """One file's stream read on a daemon thread into a bounded queue."""

    def __init__(self, open_stream: Callable, blocks: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=max(1, blocks))
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(open_stream,), name="kaohe-parse-ahead", daemon=True
        )
        self.thread.start()

    def _run(self, open_stream: Callable) -> None:
        try:
            with open_stream() as stream:
                for batch in stream:
                    if not self._put(("batch", batch)):
                        return  # dropped: the reader went another way
        except Exception as error:  # handed to the reader, raised where it reads
            self._put(("error", error))
            return
        self._put(("end", None))

    def _put(self, item: tuple) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def batches(self) -> Iterator:
        """The stream's batches in order; its error, if it raised one, where it did."""
        try:
            while True:
                kind, item = self.queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the thread (it may wait on a full queue) and let go of what it parsed."""
        self.stop.set()
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break


def start(key: tuple, open_stream: Callable, block_bytes: int) -> None:
    """Parse ahead the stream ``open_stream()`` opens (a context manager iterating record
    batches), for :func:`take` with the same ``key`` (which must name everything that
    makes the stream: the file, its size and time, the options)."""
    with _LOCK:
        if key in _AHEAD:
            return
        _AHEAD[key] = _Ahead(open_stream, AHEAD_BYTES // block_bytes)


def take(key: tuple) -> Iterator | None:
    """The batches parsed ahead under ``key`` (each taken once), or None."""
    with _LOCK:
        found = _AHEAD.pop(key, None)
    return None if found is None else found.batches()


def drop_all() -> None:
    """Stop and drop every parse not taken (the reader is done with the folder)."""
    with _LOCK:
        left = list(_AHEAD.values())
        _AHEAD.clear()
    for ahead in left:
        ahead.cancel()
