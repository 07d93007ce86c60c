"""Shared helpers for the safety tests: running the CLI in-process or as a real process,
copying inputs, shuffling data rows, and comparing outputs with the fingerprint masked."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
RULES_2024 = ROOT / "rules" / "2024"
SAMPLES_2024 = ROOT / "samples" / "2024"
GOLDEN_RULES = ROOT / "tests" / "golden" / "evaluate" / "rules"
GOLDEN_DATA = ROOT / "tests" / "golden" / "evaluate" / "data"

FINGERPRINT = re.compile(r"指纹 ([0-9a-f]{16})")


def run_kaohe(*args: object) -> tuple[int, str, str]:
    """``kaohe ARGS`` in this process, through the real entry point (exit codes, error
    rendering and all): (exit code, stdout, stderr)."""
    from kaohe_rules.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["kaohe", *map(str, args)]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.argv = saved
    return code, out.getvalue(), err.getvalue()


def process_env(hash_seed: str | None = None) -> dict[str, str]:
    """The environment of a separate ``kaohe`` process: the checkout importable, no
    debug tracebacks, and the given PYTHONHASHSEED."""
    env = {k: v for k, v in os.environ.items() if k not in ("KAOHE_DEBUG", "PYTHONHASHSEED")}
    env["PYTHONPATH"] = str(ROOT)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return env


def cli_command(*args: object) -> list[str]:
    """``python cli.py ARGS`` (the same command as the installed ``kaohe``)."""
    return [sys.executable, str(ROOT / "cli.py"), *map(str, args)]


def run_process(
    *args: object, cwd: Path, hash_seed: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        env=process_env(hash_seed),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def copy_inputs(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def shuffle_csv_rows(path: Path, seed: int) -> None:
    """Shuffle the data rows of a CSV file in place; leading '#' comment lines and the
    header line stay first. The sample files have one record per line (checked)."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.split("\n")
    trailing = lines[-1] == ""
    if trailing:
        lines = lines[:-1]
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    head += 1  # the header
    body = lines[head:]
    assert all('"' not in line for line in body), f"{path}: quoted fields, shuffle by record"
    before = list(body)
    random.Random(seed).shuffle(body)
    assert body != before or len(body) < 2
    out = "\n".join(lines[:head] + body) + ("\n" if trailing else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"))


def shuffle_parquet_rows(path: Path, seed: int) -> None:
    """Shuffle the rows of a Parquet file of records in place (记录汇总 reads every row;
    which row comes first must not matter)."""
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    order = np.random.default_rng(seed).permutation(table.num_rows)
    pq.write_table(table.take(order), path, compression="zstd")


def zip_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info.filename)) for info in archive.infolist()]


def masked(data: bytes, suffix: str, fingerprint: str, replacement: str) -> object:
    """An output with one fingerprint replaced by another, for comparing outputs of
    inputs whose bytes (and so whose fingerprints) differ, e.g. shuffled data rows. XLSX
    is compared member by member (names, order and uncompressed contents)."""
    old, new = fingerprint.encode(), replacement.encode()
    if suffix == ".xlsx":
        return [(name, content.replace(old, new)) for name, content in zip_members(data)]
    return data.replace(old, new)


def sha256_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path → digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def no_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" not in text and "内部错误" not in text
