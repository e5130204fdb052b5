"""Sign-in, first-time setup (new password, MFA enrolment), sign-out, sessions and step-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dignity.api.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LiveSessionDep,
    WebUserDep,
    now,
)
from dignity.api.deps import SessionDep, SettingsDep
from dignity.exc import DignityError, InvalidInput, NotAuthenticated, NotFound, RateLimited
from dignity.security import accounts, sessions, totp
from dignity.security.models import WebSession
from dignity.security.tokens import new_token
from dignity.web.csrf import CsrfDep, LoginCsrfDep
from dignity.web.templating import render

router = APIRouter(include_in_schema=False)

COOKIE_OPTIONS = {"secure": True, "httponly": True, "samesite": "strict", "path": "/"}


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, **COOKIE_OPTIONS)  # type: ignore[arg-type]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, **COOKIE_OPTIONS)  # type: ignore[arg-type]
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: LoginCsrfDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    moment = now()
    attempt = accounts.authenticate(
        session,
        settings,
        request.app.state.keyring,
        username=username,
        password=password,
        code=code,
        now=moment,
    )
    if attempt.error is not None:
        session.commit()  # the failure counts even though the request fails
        status = 429 if isinstance(attempt.error, RateLimited) else 401
        return _login_page(request, status=status, error=str(attempt.error))
    user = attempt.raise_for_failure()
    # Rotation: whatever session the browser held before is ended; a new token is issued.
    old = sessions.resolve_session(
        session, settings, request.cookies.get(SESSION_COOKIE, ""), moment
    )
    if old is not None:
        sessions.end_session(session, old.web_session, moment, "replaced at sign-in")
    state = sessions.SETUP if attempt.needs_setup else sessions.ACTIVE
    _, token = sessions.start_session(session, settings, user, state, moment)
    session.commit()
    target = "/account/setup" if attempt.needs_setup else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, secure=True, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(session: SessionDep, live: LiveSessionDep, _csrf: CsrfDep) -> Response:
    sessions.end_session(session, live.web_session, now(), "signed out")
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="strict")
    return response


@router.get("/account/setup", response_class=HTMLResponse)
def setup_page(request: Request, live: LiveSessionDep, error: str | None = None) -> Response:
    user = live.user
    if live.fully_signed_in and user.mfa_enrolled and not user.must_change_password:
        return RedirectResponse("/account", status_code=303)
    secret = accounts.pending_mfa_secret(user, request.app.state.keyring)
    qr = None
    if secret is not None:
        qr = totp.qr_svg(totp.provisioning_uri(secret, user.username))
    return render(request, "setup.html", live=live, user=user, secret=secret, qr=qr, error=error)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        accounts.change_password(
            session,
            live.user,
            current=current_password,
            new=new_password,
            keep_session=live.web_session.id,
        )
    except InvalidInput as error:
        page = "setup.html" if not live.fully_signed_in else "account.html"
        return render(
            request,
            page,
            status=422,
            live=live,
            user=live.user,
            error=str(error),
            secret=None,
            qr=None,
        )
    session.commit()
    return RedirectResponse("/account/setup" if not live.fully_signed_in else "/account", 303)


@router.post("/account/mfa/start")
def start_mfa(
    request: Request, session: SessionDep, live: LiveSessionDep, _csrf: CsrfDep
) -> Response:
    if live.user.must_change_password:
        return RedirectResponse("/account/setup", status_code=303)
    if live.fully_signed_in and live.user.mfa_enrolled:
        # Re-enrolling an authenticator is a security event: prove the old one first (step-up).
        raise NotAuthenticated(
            "use the recovery procedure or an administrator reset to re-enrol MFA"
        )
    accounts.begin_mfa(session, live.user, request.app.state.keyring)
    session.commit()
    return RedirectResponse("/account/setup", status_code=303)


@router.post("/account/mfa/confirm", response_class=HTMLResponse)
def confirm_mfa(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    moment = now()
    try:
        accounts.confirm_mfa(
            session,
            live.user,
            request.app.state.keyring,
            code,
            moment,
            keep_session=live.web_session.id,
        )
    except InvalidInput as error:
        return setup_page(request, live, error=str(error))
    token = sessions.promote(session, live.web_session, settings, moment)
    session.commit()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, token)
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebUserDep,
    live: LiveSessionDep,
) -> HTMLResponse:
    live_sessions = sessions.live_sessions(session, settings, principal.id, now())
    return render(
        request,
        "account.html",
        live=live,
        user=live.user,
        sessions=live_sessions,
        current=live.web_session.id,
        error=None,
    )


@router.post("/account/sessions/{session_id}/end")
def end_own_session(
    session: SessionDep, principal: WebUserDep, _csrf: CsrfDep, session_id: str
) -> Response:
    target = session.get(WebSession, session_id)
    if target is None or target.user_id != principal.id:
        raise NotFound("no such session")
    sessions.end_session(session, target, now(), "ended by its owner")
    session.commit()
    return RedirectResponse("/account", status_code=303)


@router.get("/account/step-up", response_class=HTMLResponse)
def step_up_form(request: Request, principal: WebUserDep, live: LiveSessionDep) -> HTMLResponse:
    del principal
    return render(
        request,
        "step_up.html",
        live=live,
        error=None,
        next=_safe_next(request.query_params.get("next")),
    )


@router.post("/account/step-up", response_class=HTMLResponse)
def step_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebUserDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    code: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    del principal
    moment = now()
    try:
        accounts.step_up(
            session, settings, live.user, live.web_session, request.app.state.keyring, code, moment
        )
    except DignityError as error:
        session.commit()
        return render(
            request, "step_up.html", status=401, live=live, error=str(error), next=_safe_next(next)
        )
    session.commit()
    return RedirectResponse(_safe_next(next), status_code=303)
