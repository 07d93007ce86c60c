"""``kaohe serve``: the browser workbench over a rules root (docs/serve.md). Starlette and
uvicorn are imported only when the command runs."""

from __future__ import annotations

import re
import secrets
import socket
from pathlib import Path

import click

from kaohe_rules.cli.usage import BadValue, Command, InputError, WholeNumber

DEFAULT_PORT = 8765
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")


@click.command("serve", cls=Command)
@click.argument("root", metavar="[规则目录]", required=False)
@click.option("--data", "data", metavar="文件夹", help="数据文件夹：显示结果、解释和修改的影响")
@click.option(
    "--port",
    type=WholeNumber(minimum=0, maximum=65535),
    default=DEFAULT_PORT,
    metavar="端口",
    help=f"监听的端口（默认 {DEFAULT_PORT}；0 为任选一个空闲端口）",
)
@click.option(
    "--host",
    default="127.0.0.1",
    metavar="地址",
    help="监听的地址（默认 127.0.0.1，只有本机可以访问；其他地址必须用访问令牌）",
)
@click.option(
    "--token",
    metavar="令牌",
    help="访问令牌（16 到 128 个字母、数字、- 或 _；监听其他地址而不给时随机生成）",
)
@click.option("--open", "open_browser", is_flag=True, help="启动后在默认浏览器中打开")
@click.option(
    "--check",
    is_flag=True,
    help="只检查：读入规则（有数据时计算一次），打印地址后退出，不启动服务",
)
def serve(
    root: str | None,
    data: str | None,
    port: int,
    host: str,
    token: str | None,
    open_browser: bool,
    check: bool,
) -> None:
    """在浏览器中查看和编辑规则：规则页面、带实时检查的编辑器、修改的影响、结果与解释。

    \b
    不给规则目录时打开内置规则（只读）。编辑前先复制一份规则目录，
    打开副本：cp -r rules 我的规则，然后 kaohe serve 我的规则 --data 数据/2024。
    默认只监听 127.0.0.1；--host 为其他地址时，每个请求都要带启动时
    打印的访问令牌。先检查能否启动（不启动服务）：
      kaohe serve 我的规则 --data 数据/2024 --check
    """
    workspace = _workspace(root, data)
    guard = _guard(host, port, token)
    try:
        import uvicorn

        from kaohe_rules.workbench.serve.app import create_app
    except ImportError as error:
        hint = "pip install 'starlette>=0.40' 'uvicorn>=0.30'（kaohe-rules 的依赖，可能被卸载了）"
        raise InputError("KH598", f"缺少 kaohe serve 需要的库：{error.name}", hint) from None
    if check:  # the port is not taken: a check must not fail because a server runs
        _check(workspace, _address(host, port, guard.token))
        return
    listener = _listen(host, port)
    guard.port = listener.getsockname()[1]
    address = _address(host, guard.port, guard.token)
    click.echo(f"kaohe 工作台：{address}")
    if workspace.read_only:
        click.echo("打开的是内置规则，只读；要编辑请复制规则目录后打开副本。")
    click.echo("按 Ctrl+C 停止。")
    if open_browser:
        import webbrowser

        webbrowser.open(address)
    config = uvicorn.Config(create_app(workspace, guard), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])


def _check(workspace, address: str) -> None:
    """What the workbench would open, each rule set loaded as it loads them: the rule
    problems as kaohe validate prints them (exit 1), else the address."""
    from kaohe_rules.diagnostics import KaoheError, render_text

    folders = workspace.rulesets()
    try:
        for folder in folders:
            workspace.loaded(folder)
        if workspace.data is not None:
            workspace.evaluation(folders[-1])
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    names = "、".join(workspace.name_of(folder) for folder in folders)
    data = f"，数据 {workspace.data}" if workspace.data is not None else ""
    click.echo(f"可以启动：规则集 {names}{data}；地址 {address}")


def _workspace(root: str | None, data: str | None):
    from kaohe_rules.resources import data_path
    from kaohe_rules.workbench.serve.workspace import Workspace

    folder = Path(root) if root else data_path("rules")
    if not folder.is_dir():
        raise BadValue("KH513", "规则目录", f"找不到文件夹 {root}")
    data_folder = None
    if data:
        data_folder = Path(data)
        if not data_folder.is_dir():
            raise BadValue("KH513", "--data", f"找不到文件夹 {data}")
    workspace = Workspace(folder, data_folder, read_only=root is None)
    if not workspace.rulesets():
        hint = "规则目录是含 规则集.yaml 的文件夹，或其中每个年度一个这样的文件夹（如 rules/）"
        raise InputError("KH593", f"{folder} 中没有规则集", hint)
    return workspace


def _guard(host: str, port: int, token: str | None):
    from kaohe_rules.workbench.serve.security import Guard, is_loopback

    if token is not None and not _TOKEN.fullmatch(token):
        raise BadValue("KH592", "--token", "访问令牌应是 16 到 128 个字母、数字、- 或 _")
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)  # another address: never without a token
    return Guard(host, port, token)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the server starts, so a port in use is a coded
    error (KH599) and port 0 gives the port actually chosen."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(64)
    except OSError as error:
        reason = error.strerror or str(error)
        hint = "换一个端口（--port），或用 --port 0 任选一个空闲端口"
        raise InputError("KH599", f"无法在 {host}:{port} 上监听：{reason}", hint) from None
    return listener


def _address(host: str, port: int, token: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    if shown in ("0.0.0.0", "[::]"):
        shown = socket.gethostname()
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
