"""A file of subjects uploaded to a portfolio: read, checked all or nothing, stored and screened.

The form is read as it arrives by the batch page's `UploadReader` (the CSRF token first, the file
to a 0600 file, at most `UPLOAD_MAX_MB`), in a directory of its own under
`<data_dir>/monitoring-upload/`, deleted once the request is answered. The rows are read by
`read_subject_file` with the form's column mapping: if any row cannot be a subject, nothing is
stored and the page lists the problems by row and column. Otherwise the new and changed subjects
are stored and screened at once (at most `UPLOAD_MAX_ROWS` rows, so the request stays short; a
larger book is imported with `dignity monitor import`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from dignity.exc import Conflict, InvalidInput, PermissionDenied
from dignity.screening.monitoring import subjects as watched
from dignity.screening.monitoring.rescreen import screen_subjects
from dignity.screening.monitoring.subject_files import read_subject_file
from dignity.security.tokens import same
from dignity.settings import Settings
from dignity.store.engine import WRITE_INTENT
from dignity.web.csrf import EXPIRED
from dignity.web.monitoring import portfolio_page
from dignity.web.monitoring_forms import (
    SCHEMATA,
    UPLOAD_MAX_MB,
    UPLOAD_MAX_ROWS,
    ObjectId,
    index_cache,
)
from dignity.web.screening_batch import Uploader, uploader
from dignity.web.screening_batch_files import (
    COLUMN_FIELDS,
    FormProblems,
    UploadReader,
    clean_file_name,
    content_kind,
)
from dignity.web.screening_batch_jobs import SUFFIX

router = APIRouter(prefix="/monitoring", include_in_schema=False)

REFUSED = "The file was not imported; nothing was stored. See the problems below."


def _upload_dir(settings: Settings) -> Path:
    root = settings.data_dir / "monitoring-upload"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root))


@router.post("/portfolios/{portfolio_id}/upload", response_class=HTMLResponse)
async def upload_subjects(
    request: Request, portfolio_id: ObjectId, who: Annotated[Uploader, Depends(uploader)]
) -> Response:
    settings: Settings = request.app.state.settings
    directory = await run_in_threadpool(_upload_dir, settings)
    try:
        reader = UploadReader(directory / "upload", UPLOAD_MAX_MB << 20, who.csrf)
        await reader.read(request)
        if reader.problem == "csrf" or not same(reader.fields.get("csrf_token", ""), who.csrf):
            raise PermissionDenied(EXPIRED)
        return await run_in_threadpool(_import, request, who, reader, directory, portfolio_id)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _import(
    request: Request, who: Uploader, reader: UploadReader, directory: Path, portfolio_id: str
) -> Response:
    values = {k: v.strip() for k, v in reader.fields.items() if k != "csrf_token"}
    schema = values.get("schema") or "LegalEntity"
    id_column = values.get("id_column", "")
    mapping = tuple((prop, values[f]) for f, prop in COLUMN_FIELDS.items() if values.get(f))
    with request.app.state.sessionmaker() as session, session.begin():
        session.connection(execution_options={WRITE_INTENT: True})
        portfolio = watched.get_portfolio(session, who.principal, portfolio_id)
        problems: list[tuple[str, str, str]] = []  # where, field, message
        status = 422
        try:
            if reader.problem == "too_big":
                status = 413
                raise FormProblems({"file": [f"The file is larger than {UPLOAD_MAX_MB} MB."]})
            if reader.problem or not reader.size:
                raise FormProblems({"file": ["Choose a file (CSV, Excel or JSON lines)."]})
            if schema not in SCHEMATA:
                raise FormProblems({"schema": [f"Choose one of {', '.join(SCHEMATA)}."]})
            if not id_column:
                raise FormProblems({"id_column": ["Name the column with your reference."]})
            kind = content_kind(reader.path, UPLOAD_MAX_MB << 20)
            name = Path(clean_file_name(reader.file_name or "subjects"))
            path = directory / f"{name.stem}{SUFFIX[kind]}"
            os.replace(reader.path, path)
            rows, warnings = read_subject_file(
                path, mapping=mapping, schema=schema, id_column=id_column
            )
            if len(rows) > UPLOAD_MAX_ROWS:
                limit = f"{UPLOAD_MAX_ROWS:,}"
                raise FormProblems(
                    {"file": [f"More than {limit} rows: split it, or use dignity monitor import."]}
                )
            with session.begin_nested():
                result = watched.store_subjects(session, who.principal, portfolio, rows)
                run = screen_subjects(
                    session,
                    index_cache(request).get(session),
                    result.created + result.updated,
                    actor=who.principal.actor,
                    trigger=f"imported from {path.name} (web)",
                )
        except FormProblems as found:
            problems = [("", f, m) for f, messages in found.errors.items() for m in messages]
            message = REFUSED
        except (InvalidInput, Conflict) as error:
            problems = [
                (e.location or "", e.field, e.message) for e in getattr(error, "errors", [])
            ]
            message = f"{error.message[:1].upper()}{error.message[1:]}."
        else:
            summary = {
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": result.unchanged,
                "alerts_new": run.alerts_new,
                "alerts_changed": run.alerts_changed,
                "warnings": warnings[:20],
                "file": path.name,
            }
            return portfolio_page(
                request, session, who.live, who.principal, portfolio, imported=summary
            )
        upload_values = {k: v for k, v in values.items() if k != "file"}
        return portfolio_page(
            request,
            session,
            who.live,
            who.principal,
            portfolio,
            upload_values={"schema": schema, **upload_values},
            upload_error=message,
            upload_problems=problems,
            status=status,
        )
