"""Jinja2 environment for the pages: autoescaped, with the page language and direction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dignity import __version__
from dignity.security.sessions import LiveSession, csrf_token
from dignity.settings import Settings

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__


def static_url(path: str, *, swagger: bool = False) -> str:
    """A root-relative URL of a static file (never absolute: no Host header ends up in a page)."""
    return ("/static/swagger/" if swagger else "/static/") + path


templates.env.globals["static_url"] = static_url


def render(
    request: Request,
    template: str,
    status: int = 200,
    live: LiveSession | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page; with the signed-in session `live`, forms get its CSRF token."""
    settings: Settings = request.app.state.settings
    context.setdefault("lang", settings.language)
    context.setdefault("dir", settings.text_direction)
    if live is not None:
        context.setdefault("csrf", csrf_token(settings, live.web_session))
        context.setdefault("me", live.user if live.fully_signed_in else None)
    return templates.TemplateResponse(request, template, context, status_code=status)


def render_error(request: Request, status: int, detail: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, detail=detail)
