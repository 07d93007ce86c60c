"""`kaohe serve` as a command: what it loads, its usage errors, and a real server process
bound off the loopback answering only with its token."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.serve.workbench import REPO, scratch_root, served


def _kaohe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args], capture_output=True, text=True, timeout=60
    )


def test_serve_help_loads_no_server_library() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['kaohe', 'serve', '-h']\n"
        "from kaohe_rules.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', [m for m in ('starlette', 'uvicorn') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "访问令牌" in done.stdout
    assert "LOADED []" in done.stdout


def test_a_folder_without_rule_sets_is_a_usage_error(tmp_path: Path) -> None:
    done = _kaohe("serve", str(tmp_path), "--port", "0")
    assert done.returncode == 2
    assert "KH593" in done.stderr


def test_a_short_token_is_refused(tmp_path: Path) -> None:
    done = _kaohe("serve", str(scratch_root(tmp_path)), "--token", "short")
    assert done.returncode == 2
    assert "KH592" in done.stderr


def test_a_port_past_65535_is_refused_not_wrapped(tmp_path: Path) -> None:
    """The system would take 99999 as 99999 - 65536 = 34463."""
    done = _kaohe("serve", str(scratch_root(tmp_path)), "--port", "99999", "--check")
    assert done.returncode == 2
    assert "KH512" in done.stderr and "应不大于 65535" in done.stderr


def test_a_port_in_use_is_said(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _kaohe("serve", str(scratch_root(tmp_path)), "--port", str(port))
    assert done.returncode == 2
    assert "KH599" in done.stderr


def _status(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def test_off_the_loopback_the_server_prints_and_asks_its_token(tmp_path: Path) -> None:
    with served(scratch_root(tmp_path), "--host", "0.0.0.0") as address:
        base, token = address.split("?token=")
        port = base.rstrip("/").rsplit(":", 1)[1]
        tree = f"http://127.0.0.1:{port}/api/tree"
        assert len(token) >= 16
        assert _status(tree) == 401
        assert _status(tree, {"Authorization": "Bearer wrong-token-000000000"}) == 401
        assert _status(tree, {"Authorization": f"Bearer {token}"}) == 200


def test_on_the_loopback_no_token_is_asked(tmp_path: Path) -> None:
    with served(scratch_root(tmp_path)) as address:
        assert "token" not in address
        assert address.startswith("http://127.0.0.1:")
        assert _status(address + "api/tree") == 200


def test_check_loads_everything_and_starts_nothing(tmp_path: Path) -> None:
    root = scratch_root(tmp_path)
    with socket.socket() as taken:  # a server already on the port does not fail a check
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        done = _kaohe("serve", str(root), "--port", port, "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"可以启动：规则集 2023、2024；地址 http://127.0.0.1:{port}/\n"
    text = (root / "2024" / "市县.yaml").read_text(encoding="utf-8")
    (root / "2024" / "市县.yaml").write_text(text.replace("  发展:\n", "  发展:\n    权重: 50\n"))
    done = _kaohe("serve", str(root), "--port", "0", "--check")
    assert done.returncode == 1
    assert "KH225" in done.stderr
