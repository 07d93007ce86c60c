"""The workbench's web application: the routes, each a thin call into the workspace (the
pipeline and the outputs) or into ``kaohe_rules.editing`` (diagnostics, completion, hover,
impact). JSON answers; the page and its scripts are files in ``static/``."""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.workbench.serve import editor, files
from kaohe_rules.workbench.serve.files import Refused
from kaohe_rules.workbench.serve.security import BodyTooLarge, Guard, GuardMiddleware
from kaohe_rules.workbench.serve.workspace import Workspace, problems

STATIC = Path(__file__).parent / "static"


class _Json(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, default=str).encode()


def _refused(refusal: Refused) -> Response:
    body = {"代码": refusal.code, "消息": refusal.message, "提示": refusal.hint}
    return _Json(body, status_code=refusal.status)


def _handler(work):
    """A route whose work runs in a worker thread (loading and scoring take CPU, the event
    loop stays free) and whose refusals and rule problems become JSON answers."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await _body(request) if request.method not in ("GET", "HEAD") else {}
            result = await run_in_threadpool(work, request.app.state.workspace, request, body)
        except Refused as refusal:
            return _refused(refusal)
        except KaoheError as error:
            found = problems(error, request.app.state.workspace)
            return _Json({"代码": "KH596", "消息": "规则或数据有错误", "问题": found}, 422)
        except Exception as error:  # a bug: said as the command line says it, no traceback
            if os.environ.get("KAOHE_DEBUG"):
                raise
            message = f"kaohe 内部错误（请报告此问题）：{type(error).__name__}: {error}"
            return _Json({"代码": "", "消息": message, "提示": ""}, 500)
        return result if isinstance(result, Response) else _Json(result)

    return endpoint


async def _body(request: Request) -> dict:
    try:
        raw = await request.body()
    except BodyTooLarge as error:
        raise Refused("KH589", str(error), 413) from None
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper
        raise Refused("KH595", "请求不是有效的 JSON", 400) from None  # than Python can read
    if not isinstance(body, dict):
        raise Refused("KH595", "请求应是一个 JSON 对象", 400)
    return body


def _text_field(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise Refused("KH595", f"请求缺少文本字段 {key}", 400)
    if key != "文本" and not _encodable(value):  # a path: a lone surrogate names no file
        raise Refused("KH595", f"字段 {key} 中有无法编码的字符", 400)
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_field(body: dict, key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused("KH595", f"请求缺少非负整数字段 {key}", 400)
    return value


def _ruleset(workspace: Workspace, request: Request) -> Path:
    return workspace.ruleset(request.query_params.get("ruleset", ""))


def _query(request: Request, key: str) -> str:
    value = request.query_params.get(key)
    if not value:
        raise Refused("KH595", f"请求缺少参数 {key}", 400)
    return value


# --- routes --------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    settings = {
        "csrf": request.app.state.guard.csrf,
        "readOnly": request.app.state.workspace.read_only,
        "hasData": request.app.state.workspace.data is not None,
    }
    meta = f'<meta name="kaohe" content="{escape(json.dumps(settings))}">'
    return HTMLResponse(page.replace("<!--settings-->", meta))


def tree(workspace: Workspace, request: Request, body: dict) -> dict:
    names = [workspace.name_of(f) for f in workspace.rulesets()]
    return {"规则集": workspace.tree(), "默认": names[-1] if names else None}


def manual(workspace: Workspace, request: Request, body: dict) -> Response:
    """The manual's page, shown in a frame: the rules' problems as a page too."""
    try:
        return HTMLResponse(workspace.manual_html(_ruleset(workspace, request)))
    except KaoheError as error:
        items = "".join(
            f"<li>{escape(p['代码'])} {escape(p['消息'])}</li>" for p in problems(error, workspace)
        )
        head = '<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8">'
        page = f"{head}<p>规则有错误，生成不了细则：</p><ul>{items}</ul>"
        return HTMLResponse(page, status_code=422)


def inheritance(workspace: Workspace, request: Request, body: dict) -> dict:
    return workspace.inheritance(_ruleset(workspace, request))


def read_file(workspace: Workspace, request: Request, body: dict) -> dict:
    found = files.read(workspace.root, _query(request, "path"))
    return {"路径": found.path, "文本": found.text, "版本": found.version}


def save_file(workspace: Workspace, request: Request, body: dict) -> dict:
    if workspace.read_only:
        raise Refused("KH590", "内置规则集只读", 403, "复制规则目录后用 kaohe serve 目录 打开副本")
    path, text = _text_field(body, "路径"), _text_field(body, "文本")
    saved = files.save(workspace.root, path, text, _text_field(body, "版本"))
    return {"路径": saved.path, "版本": saved.version}


def diagnose(workspace: Workspace, request: Request, body: dict) -> dict:
    path, text = _text_field(body, "路径"), _text_field(body, "文本")
    return {"问题": editor.diagnose(workspace, path, text)}


def complete(workspace: Workspace, request: Request, body: dict) -> dict:
    path, text = _text_field(body, "路径"), _text_field(body, "文本")
    offset = _int_field(body, "位置")
    return editor.complete(workspace, path, text, offset)


def hover(workspace: Workspace, request: Request, body: dict) -> dict:
    path, text = _text_field(body, "路径"), _text_field(body, "文本")
    return {"说明": editor.hover(workspace, path, text, _int_field(body, "位置"))}


def impact(workspace: Workspace, request: Request, body: dict) -> dict:
    path, text = _text_field(body, "路径"), _text_field(body, "文本")
    return editor.impact(workspace, _ruleset(workspace, request), path, text)


def results(workspace: Workspace, request: Request, body: dict) -> dict:
    return workspace.results(_ruleset(workspace, request))


def explanation(workspace: Workspace, request: Request, body: dict) -> dict:
    return workspace.explanation(_ruleset(workspace, request), _query(request, "unit"))


async def _not_found(request: Request, _error: Exception) -> Response:
    """An address the workbench does not have, said as its other refusals are."""
    return _Json({"代码": "KH595", "消息": "工作台没有这个地址", "提示": ""}, 404)


async def _not_allowed(request: Request, _error: Exception) -> Response:
    message = f"这个地址不接受 {request.method} 请求"
    return _Json({"代码": "KH595", "消息": message, "提示": ""}, 405)


def create_app(workspace: Workspace, guard: Guard) -> GuardMiddleware:
    """The application behind its guard (security.py)."""
    routes = [
        Route("/", index),
        Route("/api/tree", _handler(tree)),
        Route("/api/manual", _handler(manual)),
        Route("/api/inheritance", _handler(inheritance)),
        Route("/api/file", _handler(read_file), methods=["GET"]),
        Route("/api/file", _handler(save_file), methods=["PUT"]),
        Route("/api/diagnose", _handler(diagnose), methods=["POST"]),
        Route("/api/complete", _handler(complete), methods=["POST"]),
        Route("/api/hover", _handler(hover), methods=["POST"]),
        Route("/api/impact", _handler(impact), methods=["POST"]),
        Route("/api/results", _handler(results)),
        Route("/api/explain", _handler(explanation)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.workspace = workspace
    app.state.guard = guard
    return GuardMiddleware(app, guard)
