"""What the monitoring pages share: access, the subject form, notices, and the runs panel.

The subject form has one field per thing an officer usually knows (name, aliases one a line, date
of birth, nationality, country, id numbers one a line); `SubjectForm.properties` turns it into the
FollowTheMoney properties the services take, and `form_values` back. Properties the form has no
field for (a passport number from a file ...) are kept as they are when a subject is edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dignity.api.auth import web_permission
from dignity.exc import Conflict, InvalidInput
from dignity.screening.monitoring.jobs import MonitorJobs
from dignity.screening.monitoring.models import MonitorRun
from dignity.screening.monitoring.rescreen import STALE_RUN
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal
from dignity.security.models import User
from dignity.security.permissions import Permission, permissions_for
from dignity.store.types import utcnow
from dignity.web.templating import templates

ReaderDep = Annotated[Principal, Depends(web_permission(Permission.SCREENING_READ))]
WriterDep = Annotated[Principal, Depends(web_permission(Permission.SCREENING_WRITE))]
ObjectId = Annotated[str, PathParam(max_length=64)]
FormText = Annotated[str, Field(max_length=20000)]

UPLOAD_MAX_MB = 5  # a subject file larger than this is imported on the server (dignity monitor)
UPLOAD_MAX_ROWS = 2000  # rows of an uploaded file, screened while the officer waits for the page
SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")
SCHEMA_LABELS = {"LegalEntity": "Anyone (person or organisation)"}
# Form field -> FtM property, for the fields holding one value (or several, split on ";").
SINGLE_FIELDS = {
    "name": "name",
    "birth_date": "birthDate",
    "nationality": "nationality",
    "country": "country",
}
# The property the "id numbers" field fills, by schema.
ID_PROPERTY = {"Vessel": "imoNumber", "Airplane": "registrationNumber"}
FORM_PROPS = frozenset({*SINGLE_FIELDS.values(), "alias", "idNumber", *ID_PROPERTY.values()})
LABELS = {
    "reference": "Your reference",
    "schema": "What it is",
    "name": "Name",
    "aliases": "Other names",
    "birth_date": "Date of birth",
    "nationality": "Nationality",
    "country": "Country",
    "id_numbers": "Id numbers",
    "reason": "Why",
    "revision": "Revision",
}
# Messages named by a code in the address after a redirect (never text from the address).
NOTICES = {
    "created": "The portfolio was created.",
    "saved": "Saved.",
    "unchanged": "Nothing changed: the values are those already stored.",
    "pass-started": "A re-screening pass started: its progress shows below.",
    "settings-rescreen": "Saved. The portfolio is being re-screened in full with the new "
    "threshold.",
    "settings-later": "Saved. A pass is running: the next one re-screens the portfolio in full "
    "with the new threshold.",
    "decided": "The decision was recorded.",
    "retired": "The subject was retired: it is no longer screened; its alerts and history stay.",
    "reactivated": "The subject is watched again and was screened against the current lists.",
    "added": "The subject was added and screened against the current lists.",
}


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parts(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


class SubjectForm(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    reference: FormText = ""
    schema_: FormText = Field("Person", alias="schema")
    name: FormText = ""
    aliases: FormText = ""
    birth_date: FormText = ""
    nationality: FormText = ""
    country: FormText = ""
    id_numbers: FormText = ""
    reason: FormText = ""
    revision: int | None = None

    def properties(self, kept: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
        """The form as FtM properties, over `kept` (the values the form has no field for)."""
        values = {k: v for k, v in (kept or {}).items() if k not in FORM_PROPS}
        for field, prop in SINGLE_FIELDS.items():
            found = parts(getattr(self, field)) if field != "name" else lines(self.name)
            if found:
                values[prop] = found
        if aliases := lines(self.aliases):
            values["alias"] = aliases
        if numbers := lines(self.id_numbers):
            values[ID_PROPERTY.get(self.schema_, "idNumber")] = numbers
        return values

    def values(self) -> dict[str, str]:
        shown = self.model_dump(by_alias=True, exclude={"revision"})
        shown["revision"] = str(self.revision or "")
        return shown


def form_values(reference: str, schema: str, properties: dict[str, list[str]]) -> dict[str, str]:
    """What the subject form shows for stored values."""
    names = properties.get("name", [])
    id_prop = ID_PROPERTY.get(schema, "idNumber")
    return {
        "reference": reference,
        "schema": schema,
        "name": names[0] if names else "",
        "aliases": "\n".join([*names[1:], *properties.get("alias", [])]),
        "birth_date": "; ".join(properties.get("birthDate", [])),
        "nationality": "; ".join(properties.get("nationality", [])),
        "country": "; ".join(properties.get("country", [])),
        "id_numbers": "\n".join(properties.get(id_prop, [])),
    }


PROP_FIELDS = {
    **{prop: field for field, prop in SINGLE_FIELDS.items()},
    "alias": "aliases",
    "idNumber": "id_numbers",
    **dict.fromkeys(ID_PROPERTY.values(), "id_numbers"),
}


def subject_errors(error: InvalidInput, schema: str) -> dict[str, list[str]]:
    """The service's errors on the form's fields (`subject.properties.birthDate` -> birth_date)."""
    found: dict[str, list[str]] = {}
    for item in error.errors:
        last = item.field.rsplit(".", 1)[-1]
        if last in PROP_FIELDS:
            message = item.message
            if message == "not a property of schema":
                message = f"not used for a {schema}"
            found.setdefault(PROP_FIELDS[last], []).append(message)
        elif last in ("reference", "schema", "reason", "revision"):
            found.setdefault(last, []).append(item.message)
        elif ".properties." in item.field:
            found.setdefault("name", []).append(f"{last}: {item.message}")
        else:
            found.setdefault(last if last in LABELS else "name", []).append(item.message)
    return found


def field_errors(error: InvalidInput) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in error.errors:
        found.setdefault(item.field.rsplit(".", 1)[-1], []).append(item.message)
    return found


def monitor_jobs(request: Request) -> MonitorJobs:
    jobs: MonitorJobs = request.app.state.monitor_jobs
    return jobs


def index_cache(request: Request) -> IndexCache:
    cache: IndexCache = request.app.state.screening_index
    return cache


def start_pass(
    request: Request, principal: Principal, trigger: str, portfolio_id: str = ""
) -> bool:
    """Start a pass in the background; False when one is running already."""
    try:
        monitor_jobs(request).start(
            actor=principal.actor, trigger=trigger, portfolio_id=portfolio_id or None
        )
    except Conflict:
        return False
    return True


def recent_runs(session: Session, portfolio_ids: list[str], limit: int = 6) -> list[MonitorRun]:
    """The latest passes over every portfolio or over one of these (not those of one subject)."""
    return list(
        session.execute(
            select(MonitorRun)
            .where(
                MonitorRun.kind.in_(("delta", "full")),
                or_(MonitorRun.portfolio_id.is_(None), MonitorRun.portfolio_id.in_(portfolio_ids)),
            )
            .order_by(MonitorRun.started_at.desc(), MonitorRun.id.desc())
            .limit(limit)
        ).scalars()
    )


def runs_context(request: Request, session: Session, portfolio_ids: list[str]) -> dict[str, Any]:
    runs = recent_runs(session, portfolio_ids)
    now = utcnow()
    live = [r for r in runs if r.status == "running" and now - r.heartbeat_at < STALE_RUN]
    return {
        "runs": runs,
        "running": bool(live) or monitor_jobs(request).running,
        "now": now,
    }


def clean_back(query: str, allowed: frozenset[str]) -> str:
    """A query string kept from a page, with only the parameters it may have (re-encoded)."""
    pairs = [(k, v[:200]) for k, v in parse_qsl(query[:2000]) if k in allowed and v]
    return urlencode(pairs)


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """actor -> the username to show, for the staff among `actors` (others show as they are)."""
    ids = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    return {f"user:{user_id}": username for user_id, username in rows}


def notice(code: str | None) -> str | None:
    return NOTICES.get(code or "")


def may_monitor(user: Any) -> bool:
    """For templates: whether a signed-in user may see the monitoring pages."""
    return user is not None and Permission.SCREENING_READ in permissions_for(user.role)


templates.env.globals["may_monitor"] = may_monitor
