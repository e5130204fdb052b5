"""CSRF protection for every state-changing form (SECURITY.md item 22).

A POST must come from our own origin (`Sec-Fetch-Site` / `Origin`) and carry a token: for signed-in
pages, one derived from the session; for the sign-in form, one matching a `__Host-` cookie set with
the form (double submit).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dignity.api.auth import LOGIN_CSRF_COOKIE, LiveSessionDep
from dignity.api.deps import SettingsDep
from dignity.exc import PermissionDenied
from dignity.security.sessions import csrf_token
from dignity.security.tokens import same

EXPIRED = "this form has expired or came from another site; reload the page and try again"


def check_origin(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    if site not in (None, "same-origin", "none"):
        raise PermissionDenied(EXPIRED)
    origin = request.headers.get("origin")
    if origin == "null" and site is not None:
        # Under our `Referrer-Policy: no-referrer`, browsers send `Origin: null` with every form
        # of our own; `Sec-Fetch-Site` (which pages cannot forge) has vouched for it above.
        return
    if origin is not None:
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise PermissionDenied(EXPIRED)


async def _sent_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else ""


async def verify_csrf(request: Request, live: LiveSessionDep, settings: SettingsDep) -> None:
    check_origin(request)
    sent = await _sent_token(request)
    if not sent or not same(sent, csrf_token(settings, live.web_session)):
        raise PermissionDenied(EXPIRED)


async def verify_login_csrf(request: Request) -> None:
    check_origin(request)
    sent = await _sent_token(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not sent or not expected or not same(sent, expected):
        raise PermissionDenied(EXPIRED)


CsrfDep = Annotated[None, Depends(verify_csrf)]
LoginCsrfDep = Annotated[None, Depends(verify_login_csrf)]
