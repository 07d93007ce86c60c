"""Helpers of the workbench's tests: a scratch copy of the bundled rules root, a `kaohe serve`
process on it, and a headless Chromium driven by Playwright (the system's Chromium, found as
tests/chromium.py finds it; the tests skip, saying why, where either cannot run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.chromium import chromium

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SAMPLES = REPO / "samples" / "2024"


def scratch_root(tmp: Path) -> Path:
    """A copy of the bundled rules root (rules/2023, rules/2024) that saving may change."""
    root = tmp / "规则"
    shutil.copytree(RULES, root)
    return root


@contextmanager
def served(root: Path, *options: str) -> Iterator[str]:
    """`kaohe serve ROOT --data samples/2024 --port 0 …` in a process of its own; yields the
    address it printed (with ?token=… when it asks for one)."""
    command = [sys.executable, str(REPO / "cli.py"), "serve", str(root), "--port", "0"]
    command += ["--data", str(SAMPLES), *options]
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )
    try:
        first = process.stdout.readline()
        if "：http" not in first:
            process.kill()
            pytest.fail(f"kaohe serve did not start: {first}{process.stderr.read()}")
        yield first.split("：", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def browser() -> Iterator[object]:
    """A headless Chromium (the system's) under Playwright; skips with the reason."""
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install 'kaohe-rules[test]')")
    try:
        playwright = sync_playwright().start()
    except Exception as error:  # its driver (a bundled Node) cannot run here
        pytest.skip(f"playwright's driver does not start: {error}")
    try:
        try:
            found = playwright.chromium.launch(
                executable_path=binary, args=["--no-sandbox", "--disable-gpu"]
            )
        except Error as error:
            pytest.skip(f"chromium does not start under playwright: {error}")
        try:
            yield found
        finally:
            found.close()
    finally:
        playwright.stop()


def editor_text(page) -> str:
    return page.evaluate("KaoheEditor.text(document.querySelector('.cm-editor'))")


def markers(page) -> list[dict]:
    """The lint markers the editor shows: [{line, severity, message}]."""
    return page.evaluate("KaoheEditor.markers(document.querySelector('.cm-editor'))")


def validate_json(root: Path, ruleset: str) -> list[dict]:
    """`kaohe validate ROOT/RULESET --format json`: what the command line reports."""
    import json

    done = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "validate", str(root / ruleset), "--format", "json"],
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def diff_json(old: Path, new: Path) -> dict:
    """`kaohe diff OLD NEW --data samples/2024 --format json`."""
    import json

    command = [sys.executable, str(REPO / "cli.py"), "diff", str(old), str(new)]
    done = subprocess.run(
        [*command, "--data", str(SAMPLES), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)
