"""The application factory: one FastAPI app serving the JSON API and the web pages.

`HANDLERS` turns every failure into the one error body of `dignity.api.errors`; browsers asking for
HTML get the same status with a readable page instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from dignity import __version__
from dignity.api.auth import SetupRequired
from dignity.api.errors import body_for_error, error_body
from dignity.api.middleware import SecurityMiddleware
from dignity.api.routers import accounts as accounts_api
from dignity.api.routers import consent as consent_api
from dignity.api.routers import documentation as documentation_api
from dignity.api.routers import dossiers as dossiers_api
from dignity.api.routers import evidence as evidence_api
from dignity.api.routers import health
from dignity.api.routers import manual as manual_api
from dignity.api.routers import monitoring as monitoring_api
from dignity.api.routers import registry as registry_api
from dignity.api.routers import screening as screening_api
from dignity.api.routers import vocabularies as vocabularies_api
from dignity.audit.maintenance import checkpoint_if_due
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.recovery import recover_blobs
from dignity.exc import DignityError
from dignity.screening.monitoring.jobs import MonitorJobs
from dignity.screening.services import IndexCache
from dignity.security.crypto import load_keyring
from dignity.settings import Settings, get_settings
from dignity.store import create_engine, make_sessionmaker
from dignity.web import (
    account,
    admin,
    consent,
    documentation_access,
    documentation_earlier,
    documentation_forms,
    documentation_forms_acts,
    documentation_forms_event,
    documentation_identity,
    documentation_story,
    dossiers,
    manual,
    monitoring_alerts,
    monitoring_subjects,
    monitoring_upload,
    pages,
    registry,
    screening_batch,
)
from dignity.web import documentation as documentation_web
from dignity.web import evidence as evidence_web
from dignity.web import monitoring as monitoring_web
from dignity.web import screening as screening_web
from dignity.web.templating import STATIC_DIR, SWAGGER_DIR, render_error

log = logging.getLogger("dignity.api")

CHECKPOINT_POLL_SECONDS = 30


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api/")


def _respond(request: Request, status: int, body: dict[str, object]) -> Response:
    if _wants_html(request):
        if body.get("code") == SetupRequired.code:
            return RedirectResponse("/account/setup", status_code=303)
        if status == 401:
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return render_error(request, status, str(body["detail"]))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    retry_after = body.pop("retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, headers=headers)


async def _dignity_error(request: Request, error: DignityError) -> Response:
    status, body = body_for_error(error)
    if status >= 500:
        log.error("%s on %s: %s", type(error).__name__, request.url.path, error)
    return _respond(request, status, body)


async def _http_error(request: Request, error: HTTPException) -> Response:
    detail = error.detail if isinstance(error.detail, str) else "request failed"
    return _respond(request, error.status_code, error_body(error.status_code, detail))


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    fields = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())[1:]) or "request",
            "message": str(e.get("msg", "invalid")),
            "location": str(e.get("loc", ("request",))[0]),
        }
        for e in error.errors()
    ]
    return _respond(request, 422, error_body(422, "the request is not valid", errors=fields))


async def _store_unavailable(request: Request, error: Exception) -> Response:
    log.error("store unavailable on %s: %s", request.url.path, error)
    return _respond(request, 503, error_body(503, "the store is unavailable"))


HANDLERS = {
    DignityError: _dignity_error,
    HTTPException: _http_error,
    RequestValidationError: _validation_error,
    OperationalError: _store_unavailable,
}


async def _checkpoint_loop(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Sign a checkpoint whenever enough events, or enough time, have passed."""
    while True:
        await asyncio.sleep(CHECKPOINT_POLL_SECONDS)
        try:
            await asyncio.to_thread(checkpoint_if_due, settings, factory)
        except Exception:
            log.exception("audit checkpoint failed")


def create_app(
    settings: Settings | None = None, factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the app. Tests pass their own settings and a session factory bound to a test store."""
    settings = settings or get_settings()
    factory = factory or make_sessionmaker(create_engine(settings.sqlalchemy_url))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:  # before the first request: quarantine what a crash left in the blob store
            store = LocalBlobStore(settings.evidence_dir)
            await asyncio.to_thread(recover_blobs, factory, store)
        except Exception:
            log.exception("evidence recovery at start-up failed")
        task = asyncio.create_task(_checkpoint_loop(settings, factory))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(checkpoint_if_due, settings, factory, timedelta(0))

    app = FastAPI(
        title="Dignity",
        version=__version__,
        summary="Human-rights accountability: documentation, evidence, designations and screening.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
    )
    app.state.settings = settings
    app.state.sessionmaker = factory
    app.state.keyring = load_keyring(settings.key_dir)
    app.state.screening_index = IndexCache()
    app.state.monitor_jobs = MonitorJobs(factory, app.state.screening_index)
    app.add_middleware(SecurityMiddleware, https=settings.https)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(accounts_api.router)
    app.include_router(registry_api.router)
    app.include_router(screening_api.router)
    app.include_router(manual_api.router)
    app.include_router(monitoring_api.router)
    app.include_router(documentation_api.router)
    app.include_router(evidence_api.router)
    app.include_router(consent_api.router)
    app.include_router(dossiers_api.router)
    app.include_router(vocabularies_api.router)
    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    app.include_router(registry.router)
    app.include_router(manual.router)
    app.include_router(screening_web.router)
    app.include_router(screening_batch.router)
    app.include_router(monitoring_web.router)
    app.include_router(monitoring_upload.router)
    app.include_router(monitoring_alerts.router)
    app.include_router(monitoring_subjects.router)
    app.include_router(dossiers.router)
    app.include_router(documentation_access.router)
    app.include_router(documentation_earlier.router)
    app.include_router(documentation_identity.router)
    app.include_router(consent.router)
    app.include_router(documentation_forms.router)
    app.include_router(documentation_forms_acts.router)
    app.include_router(documentation_forms_event.router)
    app.include_router(evidence_web.router)
    app.include_router(documentation_story.router)
    app.include_router(documentation_web.router)
    return app
