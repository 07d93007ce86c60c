"""The workbench's guard and its file access over plain HTTP (Starlette's TestClient): paths
contained in the rules root, request sizes, CSRF, the access token off the loopback, the Host
header, and saving (atomic, refused when the file changed on disk since it was opened)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kaohe_rules.workbench.serve.app import create_app
from kaohe_rules.workbench.serve.security import Guard
from kaohe_rules.workbench.serve.workspace import Workspace
from tests.serve.workbench import SAMPLES, scratch_root

FILE = "2024/市县.yaml"
TOKEN = "test-token-0123456789abcdef"


def _client(
    root: Path, host: str = "127.0.0.1", token: str | None = None, read_only=False, **options
):
    guard = Guard(host, 8765, token, **options)
    app = create_app(Workspace(root, SAMPLES, read_only=read_only), guard)
    shown = "127.0.0.1" if host in ("0.0.0.0", "127.0.0.1") else host
    return TestClient(app, base_url=f"http://{shown}:8765"), guard


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return scratch_root(tmp_path)


@pytest.fixture
def client(root: Path):
    return _client(root)


def _csrf(guard: Guard) -> dict:
    return {"X-Kaohe-CSRF": guard.csrf}


def _code(response) -> str:
    return response.json()["代码"]


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../2024/市县.yaml",
        "2024/../../outside.yaml",
        "/etc/passwd",
        "2024/..\\..\\outside.yaml",
        "2024/市县.yaml\0.txt",
    ],
    ids=["dot-dot", "dot-dot-deeper", "absolute", "backslash", "nul"],
)
def test_paths_outside_the_root_are_refused(client, path: str) -> None:
    http, guard = client
    response = http.get("/api/file", params={"path": path})
    assert response.status_code == 403
    assert _code(response) == "KH585"
    body = {"路径": path, "文本": "x", "版本": ""}
    saved = http.put("/api/file", json=body, headers=_csrf(guard))
    assert saved.status_code == 403
    assert _code(saved) == "KH585"


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("秘密: 1\n", encoding="utf-8")
    (root / "2024" / "链接.yaml").symlink_to(outside)
    (root / "2024" / "外面").symlink_to(tmp_path, target_is_directory=True)
    http, guard = _client(root)
    for path in ("2024/链接.yaml", "2024/外面/outside.yaml"):
        response = http.get("/api/file", params={"path": path})
        assert (response.status_code, _code(response)) == (403, "KH585"), path
        body = {"路径": path, "文本": "改了: 1\n", "版本": ""}
        saved = http.put("/api/file", json=body, headers=_csrf(guard))
        assert (saved.status_code, _code(saved)) == (403, "KH585"), path
    assert outside.read_text(encoding="utf-8") == "秘密: 1\n"
    listed = [f["路径"] for r in http.get("/api/tree").json()["规则集"] for f in r["文件"]]
    assert "2024/链接.yaml" not in listed


def test_a_year_folder_linked_from_outside_is_not_a_rule_set_of_the_root(
    tmp_path: Path, root: Path
) -> None:
    elsewhere = tmp_path / "别处"
    shutil.copytree(root / "2023", elsewhere / "2025")
    (root / "2025").symlink_to(elsewhere / "2025", target_is_directory=True)
    http, _guard = _client(root)
    assert [r["名称"] for r in http.get("/api/tree").json()["规则集"]] == ["2023", "2024"]
    response = http.get("/api/results?ruleset=2025")
    assert (response.status_code, _code(response)) == (404, "KH593")


def test_only_rule_files_are_written(client, root: Path) -> None:
    http, guard = client
    body = {"路径": "2024/脚本.py", "文本": "print(1)\n", "版本": ""}
    response = http.put("/api/file", json=body, headers=_csrf(guard))
    assert (response.status_code, _code(response)) == (403, "KH590")
    assert not (root / "2024" / "脚本.py").exists()


def test_no_new_file_is_made(client, root: Path) -> None:
    """Saving edits the rule files there are: a new name (hidden or not, in a folder that
    exists or not) with the empty file's public version is refused, nothing written."""
    http, guard = client
    empty = "e3b0c44298fc1c149afb"  # the version of no bytes
    for path in (".hidden.yaml", "2024/新领域.yaml", "newdir/x.yaml"):
        body = {"路径": path, "文本": "a: 1\n", "版本": empty}
        response = http.put("/api/file", json=body, headers=_csrf(guard))
        assert (response.status_code, _code(response)) == (404, "KH591"), path
        assert not (root / path).exists()


def test_names_the_system_cannot_open_are_refused_not_crashed(client, root: Path) -> None:
    """A name too long for the file system, a symlink loop, a lone surrogate, JSON nested
    deeper than Python reads: coded refusals, never a 500."""
    http, guard = client
    (root / "2024" / "loop.yaml").symlink_to("loop.yaml")
    for path in ("x" * 5000 + ".yaml", "a/" * 3000 + "b.yaml", "2024/loop.yaml"):
        response = http.get("/api/file", params={"path": path})
        assert (response.status_code, _code(response)) == (403, "KH585"), path[:20]
        body = {"路径": path, "文本": "a: 1\n", "版本": ""}
        saved = http.put("/api/file", json=body, headers=_csrf(guard))
        assert (saved.status_code, _code(saved)) == (403, "KH585"), path[:20]
    # A JSON escape for a lone surrogate: valid JSON, a str Python cannot encode.
    lone = '{"路径": "2024/\\ud800.yaml", "文本": "", "版本": ""}'.encode()
    headers = {**_csrf(guard), "content-type": "application/json"}
    response = http.put("/api/file", content=lone, headers=headers)
    assert (response.status_code, _code(response)) == (400, "KH595")
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    response = http.post("/api/diagnose?ruleset=2024", content=deep, headers=headers)
    assert (response.status_code, _code(response)) == (400, "KH595")


def test_unknown_addresses_and_methods_are_said_in_chinese(client) -> None:
    http, _guard = client
    response = http.get("/nope")
    assert (response.status_code, _code(response)) == (404, "KH595")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    response = http.delete("/api/file", headers=_csrf(_guard))
    assert (response.status_code, _code(response)) == (405, "KH595")


# --- sizes ---------------------------------------------------------------------------------------


def test_an_oversize_body_is_refused(root: Path) -> None:
    http, guard = _client(root, max_body=64 * 1024)
    text = "# " + "长" * 100_000 + "\n"
    body = {"路径": FILE, "文本": text, "版本": ""}
    response = http.put("/api/file", json=body, headers=_csrf(guard))
    assert (response.status_code, _code(response)) == (413, "KH589")
    assert "长长长" not in (root / FILE).read_text(encoding="utf-8")


def test_an_oversize_body_without_its_length_is_refused_as_it_arrives(root: Path) -> None:
    http, guard = _client(root, max_body=64 * 1024)

    def chunks():
        for _ in range(100):
            yield b"x" * 4096

    headers = {**_csrf(guard), "Content-Type": "application/json"}
    response = http.post("/api/diagnose", content=chunks(), headers=headers)
    assert (response.status_code, _code(response)) == (413, "KH589")


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "wrong"], ids=["missing", "wrong"])
def test_state_changing_requests_need_the_csrf_token(client, root: Path, header) -> None:
    http, _guard = client
    before = (root / FILE).read_text(encoding="utf-8")
    version = http.get("/api/file", params={"path": FILE}).json()["版本"]
    headers = {"X-Kaohe-CSRF": header} if header else {}
    body = {"路径": FILE, "文本": "改坏了: 1\n", "版本": version}
    response = http.put("/api/file", json=body, headers=headers)
    assert (response.status_code, _code(response)) == (403, "KH588")
    assert (root / FILE).read_text(encoding="utf-8") == before
    posted = http.post("/api/diagnose", json={"路径": FILE, "文本": before}, headers=headers)
    assert (posted.status_code, _code(posted)) == (403, "KH588")


def test_a_request_from_another_origin_is_refused_even_with_the_token(client) -> None:
    http, guard = client
    headers = {**_csrf(guard), "Origin": "http://evil.example"}
    response = http.post("/api/diagnose", json={"路径": FILE, "文本": ""}, headers=headers)
    assert (response.status_code, _code(response)) == (403, "KH588")


def test_the_page_carries_the_csrf_token(client) -> None:
    http, guard = client
    page = http.get("/")
    assert page.status_code == 200
    assert guard.csrf in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


# --- the access token and the Host header --------------------------------------------------------


def test_off_the_loopback_every_request_needs_the_token(root: Path) -> None:
    http, _guard = _client(root, host="0.0.0.0", token=TOKEN)
    for path in ("/", "/api/tree", "/static/editor.js"):
        response = http.get(path)
        assert (response.status_code, _code(response)) == (401, "KH587"), path
    wrong = http.get("/api/tree", headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert (wrong.status_code, _code(wrong)) == (401, "KH587")
    bearer = http.get("/api/tree", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200


def test_the_printed_address_turns_the_token_into_a_cookie(root: Path) -> None:
    http, _guard = _client(root, host="0.0.0.0", token=TOKEN)
    response = http.get(f"/?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert f"kaohe_token={TOKEN}" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    http.cookies.set("kaohe_token", TOKEN)
    assert http.get("/api/tree").status_code == 200


def test_the_token_redirect_stays_on_this_server(root: Path) -> None:
    """//evil.example in a Location header would be another site."""
    http, _guard = _client(root, host="0.0.0.0", token=TOKEN)
    for path in ("//evil.example/x", "/\\evil.example/x"):
        response = http.get(f"http://testserver{path}?token={TOKEN}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/evil.example/x"
        assert "content-security-policy" in response.headers


def test_refusals_carry_the_security_headers(root: Path) -> None:
    http, _guard = _client(root, host="0.0.0.0", token=TOKEN)
    response = http.get("/api/tree")
    assert (response.status_code, _code(response)) == (401, "KH587")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_a_foreign_host_header_is_refused_on_the_loopback(client) -> None:
    """A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its
    own name as Host."""
    http, _guard = client
    response = http.get("/api/tree", headers={"Host": "evil.example:8765"})
    assert (response.status_code, _code(response)) == (421, "KH597")
    assert http.get("/api/tree", headers={"Host": "localhost:8765"}).status_code == 200


# --- saving --------------------------------------------------------------------------------------


def test_a_save_is_refused_when_the_file_changed_on_disk(client, root: Path) -> None:
    http, guard = client
    opened = http.get("/api/file", params={"path": FILE}).json()
    changed = opened["文本"] + "# 另一个人改的\n"
    (root / FILE).write_text(changed, encoding="utf-8")
    body = {"路径": FILE, "文本": opened["文本"] + "# 我改的\n", "版本": opened["版本"]}
    response = http.put("/api/file", json=body, headers=_csrf(guard))
    assert (response.status_code, _code(response)) == (409, "KH586")
    assert (root / FILE).read_text(encoding="utf-8") == changed


def test_a_save_writes_the_text_as_given_atomically(client, root: Path) -> None:
    http, guard = client
    os.chmod(root / FILE, 0o640)
    opened = http.get("/api/file", params={"path": FILE}).json()
    text = opened["文本"].replace("目标值: 5.5%", "目标值: 6%", 1)
    response = http.put(
        "/api/file", json={"路径": FILE, "文本": text, "版本": opened["版本"]}, headers=_csrf(guard)
    )
    assert response.status_code == 200
    assert (root / FILE).read_text(encoding="utf-8") == text  # comments and layout kept
    assert (root / FILE).stat().st_mode & 0o777 == 0o640
    assert not [p for p in (root / "2024").iterdir() if p.name.startswith(".")]  # no temporary
    again = http.get("/api/file", params={"path": FILE}).json()
    assert again["版本"] == response.json()["版本"] != opened["版本"]


def test_the_bundled_rules_are_read_only(root: Path) -> None:
    http, guard = _client(root, read_only=True)
    opened = http.get("/api/file", params={"path": FILE}).json()
    body = {"路径": FILE, "文本": opened["文本"] + "# x\n", "版本": opened["版本"]}
    response = http.put("/api/file", json=body, headers=_csrf(guard))
    assert (response.status_code, _code(response)) == (403, "KH590")


def test_a_bug_is_said_without_a_traceback(client, monkeypatch) -> None:
    http, _guard = client

    def broken(self, folder):
        raise RuntimeError("坏了")

    monkeypatch.delenv("KAOHE_DEBUG", raising=False)
    monkeypatch.setattr(Workspace, "inheritance", broken)
    response = http.get("/api/inheritance?ruleset=2024")
    assert response.status_code == 500
    assert response.json()["消息"] == "kaohe 内部错误（请报告此问题）：RuntimeError: 坏了"
    assert "Traceback" not in response.text


def test_citations_link_into_a_root_named_like_the_bundled_rules(tmp_path, monkeypatch) -> None:
    """`kaohe serve rules` on a copy called rules/: a citation rules/2024/市县.yaml:9 names
    the served copy (the bundled rules/ has the same display name)."""
    root = tmp_path / "rules"
    shutil.copytree(scratch_root(tmp_path), root)
    monkeypatch.chdir(tmp_path)
    http, _guard = _client(Path("rules"))
    found = http.get("/api/explain?ruleset=2024&unit=淳安县").json()
    assert found["链接"]["rules/2024/市县.yaml"] == "2024/市县.yaml"
    assert found["链接"]["rules/2023/市县.yaml"] == "2023/市县.yaml"


def test_a_path_is_answered_in_its_canonical_form(client) -> None:
    """The page matches diagnostics to the open file by path: ./2024/市县.yaml is
    2024/市县.yaml."""
    http, _guard = client
    for written in ("./2024/市县.yaml", "2024//市县.yaml", "2024/./市县.yaml"):
        assert http.get("/api/file", params={"path": written}).json()["路径"] == "2024/市县.yaml"
