"""Outermost ASGI middleware: security headers on every response, and a last-resort 500.

Headers follow SECURITY.md item 37: nothing cached, no referrer, a strict Content-Security-Policy
with no inline script, no framing, no sniffing, and no access to camera, microphone or location.
Unhandled exceptions are logged and answered with the standard error body, still with the headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dignity.api.errors import error_body

log = logging.getLogger("dignity.api")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets style attributes from its scripts; the API docs page alone allows them.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


def security_headers(path: str, https: bool, download: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers of every response; a download (an attachment) is also sandboxed (item 31):
    should a browser ever render it, it runs no script and has no origin."""
    csp = DOCS_CSP if path == "/docs" else CSP
    if download:
        csp += "; sandbox"
    headers = [*BASE_HEADERS, (b"content-security-policy", csp.encode())]
    if https:
        headers.append(HSTS)
    return headers


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = security_headers(path, self.https)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = extra
                if any(_is_attachment(k, v) for k, v in message.get("headers", [])):
                    headers = security_headers(path, self.https, download=True)
                names = {name for name, _ in headers}
                kept: Iterable[tuple[bytes, bytes]] = (
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in names
                )
                message["headers"] = [*kept, *headers]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = json.dumps(error_body(500, "internal server error")).encode()
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _is_attachment(name: bytes, value: bytes) -> bool:
    return name.lower() == b"content-disposition" and value.lstrip().lower().startswith(
        b"attachment"
    )
