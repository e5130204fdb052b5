"""The batch screening page: upload a customer file, watch it being screened, download the results.

Everything here needs `screening:write`. The upload is read as it arrives
(`screening_batch_files`), refused past `DIGNITY_SCREENING_UPLOAD_MAX_MB`, and written to a
directory of its own under `<data_dir>/screening-batch/` (mode 0700, files 0600). A file that
cannot be screened comes back with the message next to its field (422; 413 when too big). Each
file is then screened by the batch engine like `dignity screen file`, in a background thread of the
server (`screening_batch_jobs`): a record per row, channel `web-batch:<file name>`, and one audit
event for the run. The job page polls its progress with htmx; the results are downloaded once, by
the user who uploaded the file (anyone else gets "not found"), and then deleted.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from dignity.api.auth import LiveSessionDep, any_web_session, authz, web_permission, web_user
from dignity.api.deps import SessionDep, SettingsDep
from dignity.audit import record_event
from dignity.exc import NotFound, PermissionDenied
from dignity.registry import services as registry
from dignity.screening import batch
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.screening.services import DEFAULT_DATASET
from dignity.security.authz import Principal
from dignity.security.permissions import Permission, permissions_for
from dignity.security.sessions import LiveSession, csrf_token
from dignity.security.tokens import same
from dignity.settings import Settings
from dignity.store.engine import WRITE_INTENT
from dignity.store.session import transaction
from dignity.web.csrf import EXPIRED, CsrfDep, check_origin
from dignity.web.screening import SCHEMATA
from dignity.web.screening_batch_files import (
    COLUMN_FIELDS,
    FormProblems,
    UploadReader,
    check_file,
    clean_file_name,
    content_kind,
    problem,
)
from dignity.web.screening_batch_jobs import SUFFIX, BatchJob, BatchJobs, Refused, batch_jobs
from dignity.web.templating import render, templates

router = APIRouter(prefix="/screening/batch", include_in_schema=False)

WriterDep = Annotated[Principal, Depends(web_permission(Permission.SCREENING_WRITE))]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REFUSED = "The file was not screened: see the fields marked below, and choose the file again."
LABELS = {
    "file": "File",
    "schema": "What the rows are",
    "name_column": "Column with the name",
    "birth_date_column": "Column with the date of birth",
    "nationality_column": "Column with the nationality",
    "id_column": "Column with your own id",
    "dataset": "Lists",
    "threshold": "Match threshold",
    "output": "Results as",
}


def may_screen_files(user: Any) -> bool:
    """For templates: whether a signed-in user may use this page."""
    return user is not None and Permission.SCREENING_WRITE in permissions_for(user.role)


templates.env.globals["may_screen_files"] = may_screen_files


@dataclass(frozen=True)
class Uploader:
    principal: Principal
    live: LiveSession
    csrf: str


@authz
def uploader(request: Request, settings: SettingsDep) -> Uploader:
    """The signed-in user allowed to upload, found in a short transaction of its own: the request's
    own (a POST's holds SQLite's write lock) would stay open while the file comes in."""
    check_origin(request)
    with request.app.state.sessionmaker() as session, session.begin():
        session.connection(execution_options={WRITE_INTENT: True})
        live = any_web_session(request, session, settings)
        principal = web_permission(Permission.SCREENING_WRITE)(web_user(live))
        return Uploader(principal, live, csrf_token(settings, live.web_session))


def _lists(session: Session) -> dict[str, str]:
    """id -> title of the lists a file can be screened against (those with a version)."""
    return {s.id: s.title for s, v in registry.source_lists(session) if v is not None}


def parse_form(
    fields: dict[str, str], lists: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """(the options, the values to show again, the errors by field) of the form's text fields."""
    values = {k: v.strip() for k, v in fields.items() if k != "csrf_token"}
    errors: dict[str, list[str]] = {}
    schema = values.setdefault("schema", "Person")
    if schema not in SCHEMATA:
        errors["schema"] = [f"Choose one of {', '.join(SCHEMATA)}."]
    dataset = values.setdefault("dataset", DEFAULT_DATASET)
    if dataset != DEFAULT_DATASET and dataset not in lists:
        errors["dataset"] = ["No such list: choose one of those offered."]
    threshold = DEFAULT_THRESHOLD
    try:
        threshold = float(values.setdefault("threshold", str(DEFAULT_THRESHOLD)))
    except ValueError:
        threshold = -1.0
    if not 0.0 <= threshold <= 1.0:
        errors["threshold"] = ["Write a number from 0 to 1, such as 0.8."]
    output = values.setdefault("output", "csv")
    if output not in MEDIA_TYPES:
        errors["output"] = ["Choose CSV or Excel."]
    columns = {name: values.get(name, "") for name in (*COLUMN_FIELDS, "id_column")}
    for name, column in columns.items():
        if len(column) > 200:
            errors[name] = ["A column name is at most 200 characters."]
    form = {
        "schema": schema,
        "dataset": dataset,
        "threshold": threshold,
        "output": output,
        "columns": columns,
        "mapping": tuple((prop, columns[f]) for f, prop in COLUMN_FIELDS.items() if columns[f]),
        "id_column": columns["id_column"] or None,
    }
    return form, values, errors


def _form_page(
    request: Request,
    live: LiveSession,
    owner: str,
    lists: dict[str, str],
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    return render(
        request,
        "screening/batch.html",
        status=status,
        live=live,
        lists=lists,
        jobs=batch_jobs(request).of(owner),
        values={"schema": "Person", "dataset": DEFAULT_DATASET, "output": "csv", **values},
        errors=errors or {},
        error=REFUSED if errors else None,
        schemata=SCHEMATA,
        labels=LABELS,
        threshold=DEFAULT_THRESHOLD,
        max_mb=settings.screening_upload_max_mb,
        max_rows=settings.screening_batch_max_rows,
        expiry_minutes=settings.screening_batch_expiry_minutes,
    )


@router.get("", response_class=HTMLResponse)
def batch_page(
    request: Request, session: SessionDep, writer: WriterDep, live: LiveSessionDep
) -> HTMLResponse:
    return _form_page(request, live, writer.id, _lists(session), {})


@router.post("", response_class=HTMLResponse)
async def upload_file(
    request: Request, settings: SettingsDep, who: Annotated[Uploader, Depends(uploader)]
) -> Response:
    jobs = batch_jobs(request)
    directory = await run_in_threadpool(jobs.new_directory)
    limit = settings.screening_upload_max_mb << 20
    reader = UploadReader(directory / "upload", limit, who.csrf)
    try:
        await reader.read(request)
        if reader.problem == "csrf" or not same(reader.fields.get("csrf_token", ""), who.csrf):
            raise PermissionDenied(EXPIRED)
        return await run_in_threadpool(_accept, request, jobs, who, reader, directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _accept(
    request: Request, jobs: BatchJobs, who: Uploader, reader: UploadReader, directory: Path
) -> Response:
    """Check the uploaded file and the form; queue the job, or show the form with what is wrong."""
    settings: Settings = request.app.state.settings
    with transaction(jobs.factory) as session:
        lists = _lists(session)
    form, values, errors = parse_form(reader.fields, lists)
    if not lists:
        errors["dataset"] = ["No list is loaded: import one before screening."]
    status, name = 422, clean_file_name(reader.file_name or "")
    try:
        if reader.problem == "too_big":
            status = 413
            raise problem(
                "file",
                f"The file is larger than {settings.screening_upload_max_mb} MB: split it, or "
                "have it screened on the server (dignity screen file).",
            )
        if reader.problem:
            raise problem("file", "The file did not arrive whole: choose it and send it again.")
        if not reader.file_name and not reader.size:
            raise problem("file", "Choose a file to screen.")
        if errors:
            raise FormProblems(errors)
        kind = content_kind(reader.path, settings.screening_upload_max_mb << 20)
        stem = Path(name).stem if Path(name).suffix else name
        path = directory / f"{stem}{SUFFIX[kind]}"
        os.replace(reader.path, path)
        check_file(path, form, settings.screening_batch_max_rows)
    except FormProblems as problems:
        shutil.rmtree(directory, ignore_errors=True)
        errors = {**errors, **problems.errors}
        return _form_page(request, who.live, who.principal.id, lists, values, errors, status)
    job = BatchJob(
        id=secrets.token_urlsafe(24),
        owner=who.principal.id,
        actor=who.principal.actor,
        file_name=name,
        directory=directory,
        input_path=path,
        output_path=directory / f"{stem}-screened{SUFFIX[form['output']]}",
        options=batch.BatchOptions(
            mapping=form["mapping"],
            schema=form["schema"],
            id_column=form["id_column"],
            dataset=form["dataset"],
            threshold=form["threshold"],
        ),
        lists=lists.get(form["dataset"], "every list"),
        output=form["output"],
    )
    try:
        jobs.add(job)
    except Refused as error:
        shutil.rmtree(directory, ignore_errors=True)
        errors = {"file": [error.message]}
        return _form_page(request, who.live, who.principal.id, lists, values, errors, 429)
    return RedirectResponse(f"/screening/batch/{job.id}", status_code=303)


JobId = Annotated[str, PathParam(max_length=64)]


def _job_context(jobs: BatchJobs, job: BatchJob) -> dict[str, Any]:
    expected = job.rows_expected
    if expected is not None:
        expected = max(expected, job.rows_done)
    return {
        "job": job,
        "expected": expected,
        "ahead": jobs.ahead_of(job) if job.state == "queued" else 0,
        "percent": round(100 * job.rows_done / expected) if expected else None,
    }


@router.get("/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, writer: WriterDep, live: LiveSessionDep, job_id: JobId
) -> HTMLResponse:
    jobs = batch_jobs(request)
    context = _job_context(jobs, jobs.get(job_id, writer.id))
    return render(request, "screening/batch_job.html", live=live, oob=False, **context)


@router.get("/{job_id}/status", response_class=HTMLResponse)
def job_status(
    request: Request, writer: WriterDep, live: LiveSessionDep, job_id: JobId
) -> HTMLResponse:
    """The progress part of the job page, which the page fetches every second until it is done."""
    jobs = batch_jobs(request)
    context = _job_context(jobs, jobs.get(job_id, writer.id))
    return render(request, "screening/batch_progress.html", live=live, oob=True, **context)


@router.post("/{job_id}/download")
def download_results(
    request: Request, session: SessionDep, writer: WriterDep, _csrf: CsrfDep, job_id: JobId
) -> Response:
    """The results, once: they are deleted from the server as soon as they are sent."""
    jobs = batch_jobs(request)
    job = jobs.get(job_id, writer.id)
    if not jobs.claim_download(job):
        raise NotFound("these results were downloaded already, or have expired")
    record_event(
        session,
        actor=writer.actor,
        action="screening.batch_downloaded",
        object_type="screening_batch",
        object_id=job.run_id,
        details={"output": job.output_path.name, "rows": job.rows_done},
    )
    session.commit()
    name = job.download_name
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return FileResponse(
        job.output_path,
        media_type=MEDIA_TYPES[job.output],
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(shutil.rmtree, job.directory, ignore_errors=True),
    )
