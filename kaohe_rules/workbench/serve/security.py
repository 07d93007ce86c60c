"""Who may talk to the workbench, and how much: one ASGI middleware in front of every route.

- Host: only the names the server was started for (a page on another site that makes its
  own name resolve to 127.0.0.1, DNS rebinding, is refused: KH597).
- Token: bound to an address other than the loopback, every request carries the access
  token (the ``?token=`` of the address printed at start-up, then an HttpOnly cookie, or an
  ``Authorization: Bearer`` header); KH587 otherwise. Optional on 127.0.0.1.
- CSRF: every request other than GET and HEAD carries the page's CSRF token in the
  ``X-Kaohe-CSRF`` header, and an ``Origin``, when sent, is the server's own; KH588
  otherwise. Another site's page can send neither (a custom header needs CORS, which this
  server never grants).
- Size: a body over ``max_body`` bytes is refused (KH589), counted as it arrives, whatever
  Content-Length says.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN_COOKIE = "kaohe_token"
CSRF_HEADER = "x-kaohe-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

# Every page: scripts and styles of this server only (CodeMirror adds <style> elements,
# hence 'unsafe-inline' for styles alone); no frame of it on another site.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; "
        b"base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cache-control", b"no-store"),
]


def is_loopback(host: str) -> bool:
    """Whether an address to bind is the loopback interface only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Guard:
    """The server's secrets and limits, fixed at start-up."""

    host: str
    port: int
    token: str | None  # None: no token asked (loopback only)
    max_body: int = 4 * 1024 * 1024
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def allowed_hosts(self) -> set[str] | None:
        """The Host headers accepted; None: any (bound to every interface with a token,
        the name users reach it by is not known here)."""
        if self.host in ("0.0.0.0", "::", ""):
            return None
        names = {self.host, *LOOPBACK_NAMES} if is_loopback(self.host) else {self.host}
        shown = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
        return {f"{n}:{self.port}" for n in shown} | shown

    def token_ok(self, given: str | None) -> bool:
        if self.token is None:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


class GuardMiddleware:
    """The checks above, in that order, before the application sees a request."""

    def __init__(self, app, guard: Guard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if self.guard.token is not None and "token" in query and scope["method"] == "GET":
            # The address printed at start-up: keep the token in a cookie, drop it from
            # the address bar (and so from the history and any Referer).
            await _redirect_with_cookie(send, scope, query, self.guard.token)
            return
        await self.app(scope, _limited(receive, self.guard.max_body, send), _secured(send))

    def _refusal(self, scope, headers: dict) -> tuple | None:
        allowed = self.guard.allowed_hosts()
        if allowed is not None and headers.get("host", "") not in allowed:
            return 421, "KH597", "请求的主机名不是本服务的地址", "用启动时打印的地址打开工作台"
        if not self.guard.token_ok(_token_of(scope, headers)):
            hint = "用启动时打印的带 token 的地址打开，或在请求头中写 Authorization: Bearer <token>"
            return 401, "KH587", "缺少访问令牌或令牌不对", hint
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != headers.get("host"):
                return 403, "KH588", "请求来自其他网站，已拒绝", "只能在工作台的页面中修改"
            if not self.guard.csrf_ok(headers.get(CSRF_HEADER)):
                hint = "刷新工作台页面后再试（页面带有本次启动的 CSRF 令牌）"
                return 403, "KH588", "缺少 CSRF 令牌或令牌不对", hint
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.guard.max_body):
            return 413, "KH589", _too_large(self.guard.max_body), ""
        return None


def _token_of(scope, headers: dict) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "token" in query:
        return query["token"][0]
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE:
            return value
    return None


def _too_large(limit: int) -> str:
    return f"请求太大（超过 {limit // 1024} KB）"


class BodyTooLarge(Exception):
    """Raised inside the app when a body grows past the limit while it is read."""


def _limited(receive, limit: int, send):
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(_too_large(limit))
        return message

    return wrapped


def _secured(send):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
        await send(message)

    return wrapped


async def _refuse(send, status: int, code: str, message: str, hint: str) -> None:
    body = json.dumps({"代码": code, "消息": message, "提示": hint}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send, scope, query: dict, token: str) -> None:
    rest = {k: v for k, v in query.items() if k != "token"}
    path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
    # "//host/…" in a Location header is another site (a protocol-relative address): the
    # redirect stays on this server whatever the request's path looked like.
    # Backslashes too: browsers take a backslash after the first slash for a slash.
    path = b"/" + path.lstrip(b"/\\")
    target = path + ((b"?" + urlencode(rest, doseq=True).encode()) if rest else b"")
    cookie = f"{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    headers = [(b"location", target), (b"set-cookie", cookie.encode()), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
