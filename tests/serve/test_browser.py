"""The workbench in a real headless Chromium: the scenario of issue 23 on a scratch copy of
the bundled rules root with samples/2024, each result checked against the command line
(`kaohe validate`, `kaohe diff --data`) on the same edit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

from tests.serve.workbench import (
    REPO,
    browser,
    diff_json,
    editor_text,
    markers,
    scratch_root,
    served,
    validate_json,
)

FILE = "2024/市县.yaml"
WEIGHT_LINE = "    权重: 50"  # under 发展: the papers of 市县 then add up to 95
TARGET = "        目标值: 5.5%                  # 2024 年目标调整为 5.5%"
NEW_TARGET = TARGET.replace("5.5%", "9%", 1)


def _wait(condition, what: str, timeout: float = 20.0):
    """Poll ``condition()`` until it gives something truthy (the page answers after a
    pause in typing and a request); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _ready(page) -> None:
    """The page has asked the server for the rule sets and shows them."""
    # Functions, not expressions: Playwright polls an expression with eval, which the
    # workbench's Content-Security-Policy forbids (as it should).
    page.wait_for_function("() => document.querySelector('#ruleset').value !== ''")


def _open(page, path: str) -> None:
    page.click(f'#files a[data-path="{path}"]')
    page.wait_for_function(
        "path => document.querySelector('#file-name').textContent === path", arg=path
    )


def _cursor_to_end_of(page, line_text: str) -> None:
    """Click the editor line whose text is ``line_text`` and put the cursor at its end."""
    page.locator(".cm-line", has_text=re.compile("^" + re.escape(line_text) + "$")).first.click()
    page.keyboard.press("End")


def _kh225_lines(diagnostics: list[dict], file: Path) -> set[int]:
    return {d["line"] for d in diagnostics if d["code"] == "KH225" and Path(d["file"]) == file}


def test_edit_check_impact_save_and_follow_a_citation(tmp_path: Path) -> None:
    root = scratch_root(tmp_path)
    saved = (root / FILE).read_text(encoding="utf-8")
    with served(root) as address, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        _ready(page)
        page.click('.tab[data-view="edit"]')
        _open(page, FILE)

        # A paper weight that breaks the sum: KH225 where kaohe validate puts it.
        _cursor_to_end_of(page, "  发展:")
        page.keyboard.insert_text("\n" + WEIGHT_LINE)
        broken = saved.replace("  发展:\n", "  发展:\n" + WEIGHT_LINE + "\n", 1)
        assert editor_text(page) == broken
        check = tmp_path / "check"
        shutil.copytree(root, check)
        (check / FILE).write_text(broken, encoding="utf-8")
        expected = _kh225_lines(validate_json(check, "2024"), check / FILE)
        assert expected == {43, 47}  # 宁波市, 舟山市: their 一单位一策 in this file
        shown = _wait(
            lambda: {m["line"] for m in markers(page) if m["message"].startswith("KH225")},
            "the KH225 markers",
        )
        assert shown == expected
        marked = page.locator(".cm-line:has(.cm-lintRange-error)").all_inner_texts()
        assert "  宁波市:" in marked
        assert page.locator('#problems li[data-code="KH225"][data-line="15"]').count() == 1

        # Fixed (the line taken out again): the markers go.
        page.keyboard.press("Control+z")
        _wait(lambda: editor_text(page) == saved, "the undo")
        _wait(lambda: not markers(page), "the markers to go")
        assert page.locator("#problems li").count() == 0

        # A target changed: the impact names the units kaohe diff --data names.
        _cursor_to_end_of(page, TARGET)
        for _ in range(len(TARGET) - TARGET.index("5.5%")):
            page.keyboard.press("Backspace")
        page.keyboard.insert_text(NEW_TARGET[NEW_TARGET.index("9%") :])
        edited = saved.replace(TARGET, NEW_TARGET, 1)
        assert editor_text(page) == edited
        page.wait_for_selector("#impact[data-ready='1'] .impact-units", timeout=20_000)
        listed = page.eval_on_selector_all(
            ".impact-units li", "items => items.map(li => li.dataset.unit)"
        )
        (check / FILE).write_text(edited, encoding="utf-8")
        (check / "2024/市县.yaml").parent.mkdir(exist_ok=True)
        told = diff_json(root / "2024", check / "2024")
        assert listed == [move["编号"] for move in told["影响"]]
        assert listed  # the edit does move units across tiers
        tiers = {m["编号"]: (m["原等次"], m["新等次"]) for m in told["影响"]}
        assert any(old != new for old, new in tiers.values())

        # Saved, then reloaded from disk.
        page.click("#save")
        page.wait_for_function(
            "() => document.querySelector('#save-status').textContent === '已保存'"
        )
        assert (root / FILE).read_text(encoding="utf-8") == edited
        page.reload()
        _ready(page)
        page.click('.tab[data-view="edit"]')
        _open(page, FILE)
        assert editor_text(page) == edited

        # An explanation's citation opens the rule file at that line.
        page.click('.tab[data-view="results"]')
        page.wait_for_selector('#results tr[data-unit="330100"]', timeout=30_000)
        page.click('#results tr[data-unit="330100"]')
        link = page.locator('#explain a.cite[data-file="2023/市县.yaml"]').first
        link.wait_for(timeout=20_000)
        line = int(link.get_attribute("data-line"))
        link.click()
        page.wait_for_function(
            "() => document.querySelector('#file-name').textContent === '2023/市县.yaml'"
        )
        cited = (root / "2023/市县.yaml").read_text(encoding="utf-8").split("\n")[line - 1]
        active = page.locator(".cm-activeLine").inner_text()
        assert active == cited
        assert errors == []


def test_a_request_without_the_token_is_refused_off_the_loopback(tmp_path: Path) -> None:
    root = scratch_root(tmp_path)
    with served(root, "--host", "0.0.0.0") as address, browser() as chromium:
        assert "?token=" in address  # printed at start-up
        plain = address.split("?", 1)[0].replace("0.0.0.0", "127.0.0.1")
        plain = re.sub(r"//[^:/]+:", "//127.0.0.1:", plain)
        page = chromium.new_page()
        refused = page.goto(plain)
        assert refused.status == 401
        assert "KH587" in page.content()
        assert page.request.get(plain + "api/tree").status == 401
        token = address.split("?token=", 1)[1]
        page.goto(f"{plain}?token={token}")
        # the token became a cookie: the page and its requests work
        _ready(page)
        assert page.url == plain


def _units(page) -> list[str]:
    """The unit ids of the results table's rows, in the order shown."""
    return page.eval_on_selector_all("#results tbody tr", "rows => rows.map(r => r.dataset.unit)")


def test_the_results_table_sorts_and_filters(tmp_path: Path) -> None:
    """The table holds evaluate's 结果 rows; a header click sorts, the box filters."""
    import json

    from tests.serve.workbench import SAMPLES

    root = scratch_root(tmp_path)
    command = [sys.executable, str(REPO / "cli.py"), "evaluate", "--rules", str(root / "2024")]
    told = subprocess.run(
        [*command, "--data", str(SAMPLES), "-o", str(tmp_path / "结果.json")],
        capture_output=True,
        text=True,
    )
    assert told.returncode == 0, told.stderr
    rows = json.loads((tmp_path / "结果.json").read_text(encoding="utf-8"))["结果"]
    with served(root) as address, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(address)
        _ready(page)
        page.click('.tab[data-view="results"]')
        page.wait_for_selector('#results tr[data-unit="330100"]', timeout=30_000)
        assert _units(page) == [row["编号"] for row in rows]
        page.fill("#filter", "山区县")
        kept = [r for r in rows if any("山区县" in str(v) for v in r.values())]
        assert _units(page) == [r["编号"] for r in kept]
        total = page.locator("#results th", has_text="总分")
        total.click()
        total.click()  # twice: highest first (ties keep the roster's order)
        assert _units(page) == [r["编号"] for r in sorted(kept, key=lambda r: -r["总分"])]


def test_the_rules_page_shows_the_manual_and_what_the_year_changes(tmp_path: Path) -> None:
    root = scratch_root(tmp_path)
    told = diff_json(root / "2023", root / "2024")["变化"]
    with served(root) as address, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(address)
        _ready(page)
        page.wait_for_selector("#inheritance table tbody tr")
        rows = page.locator("#inheritance tbody tr")
        assert rows.count() == len(told)
        assert rows.first.locator("td").nth(2).inner_text() == told[0]["对象"]
        manual = page.frame_locator("#manual")
        manual.locator("h1.title").wait_for()
        assert manual.locator("h2").first.inner_text() == "市县领域"
        written = tmp_path / "细则.html"
        command = [sys.executable, str(REPO / "cli.py"), "doc", str(root / "2024")]
        subprocess.run([*command, "-o", str(written)], check=True, capture_output=True)
        headings = re.findall(r"<h[23]>(.*?)</h[23]>", written.read_text(encoding="utf-8"))
        assert manual.locator("h2, h3").all_inner_texts() == [unescape(h) for h in headings]
        # a change's citation opens its file at its line
        rows.first.locator("a.cite").click()
        file, line = told[0]["新出处"].rsplit(":", 1)
        page.wait_for_function(
            "path => document.querySelector('#file-name').textContent === path",
            arg=Path(file).relative_to(root).as_posix(),
        )
        cited = Path(file).read_text(encoding="utf-8").split("\n")[int(line) - 1]
        assert page.locator(".cm-activeLine").inner_text() == cited


def test_completion_and_hover_in_the_editor(tmp_path: Path) -> None:
    root = scratch_root(tmp_path)
    with served(root) as address, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(address)
        _ready(page)
        page.click('.tab[data-view="edit"]')
        _open(page, FILE)
        # A new key under 研发投入强度 (which writes only 满分): the schema's keys.
        _cursor_to_end_of(page, "        满分: 6")
        page.keyboard.press("Enter")
        page.keyboard.type("目")
        page.wait_for_selector(".cm-tooltip-autocomplete li")
        offered = page.locator(".cm-tooltip-autocomplete li").all_inner_texts()
        assert any(item.startswith("目标值") for item in offered), offered
        page.keyboard.press("Escape")
        saved = (root / FILE).read_text(encoding="utf-8")
        for _ in range(5):  # the half-written key taken back
            if editor_text(page) == saved:
                break
            page.keyboard.press("Control+z")
        assert editor_text(page) == saved
        # Hovering an indicator's name shows its definition, with where it is defined.
        name = page.locator(".cm-line", has_text=re.compile(r"^\s+新质生产力发展指数:$")).first
        name.locator("span", has_text="新质生产力发展指数").first.hover()
        shown = page.locator(".kh-hover").inner_text(timeout=10_000)
        assert "新质生产力发展指数" in shown and "2024/市县.yaml:18" in shown
