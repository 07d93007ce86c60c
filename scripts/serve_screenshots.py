"""The screenshots of docs/serve.md, taken in headless Chromium (the system's, driven by
Playwright) from a real `kaohe serve` on a scratch copy of rules/ with samples/2024:

    python scripts/serve_screenshots.py

docs/serve-editor.png: rules/2024/市县.yaml with 发展's weight set to 50, the KH225 marker
and its message; docs/serve-impact.png: 地区生产总值增速's target changed to 9%, and the
units whose tier changes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.chromium import chromium  # noqa: E402
from tests.serve.workbench import served  # noqa: E402

FILE = "2024/市县.yaml"


def _open_editor(page, address: str) -> None:
    page.goto(address)
    page.wait_for_function("() => document.querySelector('#ruleset').value !== ''")
    page.click('.tab[data-view="edit"]')
    page.click(f'#files a[data-path="{FILE}"]')
    page.wait_for_selector(".cm-content")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "rules"
        shutil.copytree(ROOT / "rules", root)
        with served(root) as address, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 860})
            _open_editor(page, address)
            page.locator(".cm-line", has_text="  发展:").first.click()
            page.keyboard.press("End")
            page.keyboard.insert_text("\n    权重: 50")
            page.wait_for_selector(".cm-lintRange-error")
            page.locator(".cm-line", has_text="  宁波市:").first.scroll_into_view_if_needed()
            marked = page.locator(".cm-line", has_text="  宁波市:").first
            marked.locator(".cm-lintRange-error").first.hover()
            page.wait_for_selector(".cm-tooltip-lint")
            page.screenshot(path=str(ROOT / "docs" / "serve-editor.png"))

            page.click("#reload")
            line = page.locator(".cm-line", has_text="目标值: 5.5%").first
            line.click()
            page.keyboard.press("Home")  # to the indentation's end, then past "目标值: 5.5%"
            for _ in range(len("目标值: 5.5%")):
                page.keyboard.press("ArrowRight")
            for _ in range(len("5.5%")):
                page.keyboard.press("Backspace")
            page.keyboard.insert_text("9%")
            page.wait_for_selector("#impact[data-ready='1'] .impact-units")
            page.mouse.move(10, 10)
            page.screenshot(path=str(ROOT / "docs" / "serve-impact.png"))
            browser.close()
    print("docs/serve-editor.png, docs/serve-impact.png")


if __name__ == "__main__":
    main()
