"""Keystroke to diagnostics and keystroke to impact in the browser workbench (kaohe serve),
on a scratch copy of rules/ with samples/2024. Not a test: figures to read.

    python bench/workbench/serve.py [--repeat 15] [--no-browser]

A real ``kaohe serve`` process (uvicorn, loopback). Each round sends an edited buffer of
rules/2024/市县.yaml, never the same text twice (the editing services keep their last
checks, which a repeated text would hit):

- diagnostics: POST /api/diagnose, a weight for 发展 that breaks the papers' sum (KH225),
  and the saved text with a comment, in turns;
- impact: POST /api/impact, 地区生产总值增速's 目标值 5.5% → 8.0%…8.9% (the saved side is
  loaded and run once and kept, as the server keeps it between keystrokes).

Both are the server's answer, request to response. With Chromium and Playwright, the same
in the page: from the keystroke (an inserted text) to the KH225 marker in the editor, and to
the impact list, which include the pause the page waits for (100 ms before diagnostics,
300 ms before the impact). Targets: diagnostics under 300 ms, impact under 1 s (medians).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

FILE = "2024/市县.yaml"
WEIGHT = ("  发展:\n    指标:\n", "  发展:\n    权重: 50\n    指标:\n")


def _start(root: Path) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, str(ROOT / "cli.py"), "serve", str(root), "--port", "0"]
    command += ["--data", str(ROOT / "samples" / "2024")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().split("：", 1)[1].strip()


def _csrf(address: str) -> str:
    page = urllib.request.urlopen(address).read().decode()
    start = page.index('content="') + len('content="')
    settings = json.loads(page[start : page.index('"', start)].replace("&quot;", '"'))
    return settings["csrf"]


def _post(address: str, csrf: str, route: str, text: str) -> dict:
    body = json.dumps({"路径": FILE, "文本": text}).encode()
    headers = {"Content-Type": "application/json", "X-Kaohe-CSRF": csrf}
    request = urllib.request.Request(address + route, body, headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ms"


def _server_figures(address: str, saved: str, repeat: int) -> None:
    """Every buffer sent is new (a round's number in a comment, another weight or target):
    the editing services keep their last checks, and a repeated text would be answered
    from there."""
    csrf = _csrf(address)
    first = time.perf_counter()
    _post(address, csrf, "api/impact?ruleset=2024", _target(saved, 0))
    cold = _median_ms([time.perf_counter() - first])
    print(f"impact, first request (loads and runs the saved rules): {cold}")
    diagnostics, impact = [], []
    for round_ in range(repeat):
        broken = round_ % 2 == 0
        text = _weight(saved, round_) if broken else saved + f"# {round_}\n"
        start = time.perf_counter()
        found = _post(address, csrf, "api/diagnose", text)
        diagnostics.append(time.perf_counter() - start)
        assert ("KH225" in {p["代码"] for p in found["问题"]}) == broken
    for round_ in range(repeat):
        start = time.perf_counter()
        found = _post(address, csrf, "api/impact?ruleset=2024", _target(saved, round_ + 1))
        impact.append(time.perf_counter() - start)
        assert found["影响"]
    print(f"server, keystroke to diagnostics: median {_median_ms(diagnostics)} (target < 300 ms)")
    print(f"server, keystroke to impact:      median {_median_ms(impact)} (target < 1 s)")


def _weight(saved: str, round_: int) -> str:
    """发展 given a weight of its own: the papers no longer add up to 100."""
    return saved.replace(WEIGHT[0], WEIGHT[1].replace("50", str(40 + round_ % 50)), 1)


def _target(saved: str, round_: int) -> str:
    """地区生产总值增速's target raised to 8.0%–8.9%, the round in a comment."""
    target = f"目标值: {8 + round_ % 10 / 10:.1f}%"
    return saved.replace("目标值: 5.5%", target, 1) + f"# {round_}\n"


def _browser_figures(address: str, saved: str, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.chromium import chromium

    binary = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: skipped (playwright is not installed)")
        return
    if binary is None:
        print("browser: skipped (no chromium)")
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        # the polling predicates below are strings Playwright evaluates: allowed here only
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
        page.goto(address)
        page.wait_for_function("() => document.querySelector('#ruleset').value !== ''")
        page.click('.tab[data-view="edit"]')
        page.click(f'#files a[data-path="{FILE}"]')
        page.wait_for_selector(".cm-content")
        to_marker, to_impact = [], []
        target = "        目标值: 5.5%"
        for _ in range(repeat):
            page.locator(".cm-line", has_text="  发展:").first.click()
            page.keyboard.press("End")
            time.sleep(1)
            page.evaluate(_WATCH, "document.querySelector('.cm-lintRange-error')")
            page.keyboard.insert_text(f"\n    权重: {40 + len(to_marker)}")  # a new text
            to_marker.append(page.evaluate("window.watched") / 1000)
            _reload(page, saved)
            # The target's line cut to "目标值: %", then the keystroke that makes it 9%.
            page.locator(".cm-line", has_text=target).first.click()
            page.keyboard.press("End")
            line = saved.split(target, 1)[1].split("\n", 1)[0]
            for _ in range(len(line) + 1 + len("5.5")):
                page.keyboard.press("Backspace")
            page.keyboard.insert_text("%")
            page.keyboard.press("ArrowLeft")
            page.wait_for_selector("#impact[data-ready='1']")
            time.sleep(1)  # the answers to that edit all in: one keystroke after a pause
            ready = "document.querySelector('#impact[data-ready=\"1\"] .impact-units')"
            page.evaluate("document.querySelector('#impact').dataset.ready = '0'")
            page.evaluate(_WATCH, ready)
            page.keyboard.insert_text("9")
            to_impact.append(page.evaluate("window.watched") / 1000)
            _reload(page, saved)
        browser.close()
    marker, listed = _median_ms(to_marker), _median_ms(to_impact)
    print(f"browser, keystroke to KH225 marker: median {marker} (of which 100 ms the pause)")
    print(f"browser, keystroke to impact list:  median {listed} (of which 300 ms the pause)")


# In the page: the milliseconds from now until ``found`` (an expression) gives an element,
# seen by a MutationObserver (Playwright's own polling would add its interval).
_WATCH = """found => {
  const t0 = performance.now();
  window.watched = new Promise(resolve => {
    const observer = new MutationObserver(() => {
      if (eval(found)) { observer.disconnect(); resolve(performance.now() - t0); }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true});
  });
}"""


def _reload(page, saved: str) -> None:
    """The file as saved, in a fresh editor (the page's 重新载入)."""
    page.click("#reload")
    text = "KaoheEditor.text(document.querySelector('.cm-editor'))"
    page.wait_for_function(f"{text} === {json.dumps(saved)}")
    page.wait_for_function("document.querySelector('#impact').dataset.ready === '0'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "rules"
        shutil.copytree(ROOT / "rules", root)
        saved = (root / FILE).read_text(encoding="utf-8")
        process, address = _start(root)
        try:
            _server_figures(address, saved, options.repeat)
            if not options.no_browser:
                _browser_figures(address, saved, max(3, options.repeat // 3))
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
