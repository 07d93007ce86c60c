"""``kaohe lsp``: the language server for editors (VS Code, Neovim …), over stdio."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.cli.usage import BadValue, Command


@click.command("lsp", cls=Command)
@click.option(
    "--root",
    metavar="文件夹",
    help="规则目录（放各年度规则集的文件夹）；不给时用编辑器打开的工作区文件夹",
)
@click.option("--stdio", is_flag=True, help="经标准输入输出通信（默认，也是唯一的方式）")
def lsp(root: str | None, stdio: bool) -> None:
    """语言服务器：编辑规则文件时即时检查、补全键和公式中的名称、悬停显示定义。

    \b
    例：kaohe lsp
        kaohe lsp --root rules
    由编辑器启动，经标准输入输出通信（Language Server Protocol），
    配置见 docs/editors.md。检查与 kaohe validate 相同，
    用的是编辑器中尚未保存的内容。
    """
    folder = None
    if root is not None:
        folder = Path(root)
        if not folder.is_dir():
            raise BadValue("KH582", "--root", f"{root} 不是文件夹", "给出放各年度规则集的文件夹")
        folder = folder.resolve()
    try:
        from kaohe_rules.workbench.lsp import serve
    except ImportError as error:  # pygls is a dependency; a broken install may lack it
        raise BadValue(
            "KH583", "lsp", f"无法启动语言服务器：缺少 {error.name}", "pip install pygls"
        ) from None
    serve(folder)
