"""The screening page: screen one name by hand and read why each candidate scored as it did.

Reading the page needs `screening:read`; the form posts with the session's CSRF token. Every
screening run here is stored and audited like one through the API (channel "web").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from dignity.api.auth import LiveSessionDep, web_permission
from dignity.api.deps import SessionDep, SettingsDep
from dignity.exc import InvalidInput
from dignity.registry import services as registry
from dignity.screening import services as screening
from dignity.screening.score import DEFAULT_THRESHOLD, Feature
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.web.csrf import CsrfDep
from dignity.web.registry import is_stale, list_date
from dignity.web.templating import render

router = APIRouter(prefix="/screening", include_in_schema=False)

ScreenerDep = Annotated[Principal, Depends(web_permission(Permission.SCREENING_READ))]
SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")
FormText = Annotated[str, Field(max_length=2000)]
# Form fields and the FtM property each one fills.
FIELD_PROPS = {
    "name": "name",
    "birth_date": "birthDate",
    "nationality": "nationality",
    "country": "country",
    "passport": "passportNumber",
    "id_number": "idNumber",
    "imo": "imoNumber",
}
FEATURE_LABELS = {
    "name_match": "Name",
    "date_match": "Date agrees",
    "date_mismatch": "Date differs",
    "country_match": "Country agrees",
    "country_mismatch": "No country in common",
    "gender_mismatch": "Gender differs",
    "identifier_match": "Same identifier",
    "identifier_mismatch": "Different identifier",
}


class ScreenForm(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_: FormText = Field("Person", alias="schema")
    name: FormText = ""
    birth_date: FormText = ""
    nationality: FormText = ""
    country: FormText = ""
    passport: FormText = ""
    id_number: FormText = ""
    imo: FormText = ""
    dataset: FormText = screening.DEFAULT_DATASET

    def properties(self) -> dict[str, list[str]]:
        """The filled fields as FtM properties the schema has (a vessel has no passport)."""
        return {
            prop: [value]
            for field, prop in FIELD_PROPS.items()
            if (value := str(getattr(self, field)).strip())
        }


def _lists(request: Request, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """The lists a screening runs against, with their dates and whether they are stale."""
    rows = []
    for source, version in registry.source_lists(session):
        if version is None:
            continue
        rows.append(
            {
                "id": source.id,
                "title": source.title,
                "seq": version.seq,
                "date": list_date(version),
                "stale": is_stale(version, settings),
            }
        )
    return rows


PROP_FIELDS = {prop: field for field, prop in FIELD_PROPS.items()}


def _form_errors(error: InvalidInput, schema: str) -> dict[str, list[str]]:
    """The service's errors on the form's fields (`query.properties.imoNumber` -> `imo`)."""
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        prop = item.field.rsplit(".", 1)[-1]
        if prop == "name":
            message = "Type a name, or an identifier such as a passport or IMO number."
            errors.setdefault("name", []).append(message)
        elif prop in PROP_FIELDS:
            errors.setdefault(PROP_FIELDS[prop], []).append(f"not used when screening a {schema}")
        else:
            errors.setdefault("schema", []).append(item.message)
    return errors


def _explain(feature: Feature) -> dict[str, Any]:
    return {
        "label": FEATURE_LABELS.get(feature.name, feature.name),
        "name": feature.name,
        "effect": feature.effect,
        "detail": feature.detail,
        "query": feature.query,
        "candidate": feature.candidate,
    }


def _page(
    request: Request,
    live: Any,
    lists: list[dict[str, Any]],
    form: ScreenForm,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "screening/screen.html",
        status=status,
        live=live,
        lists=lists,
        values=form.model_dump(by_alias=True),
        schemata=SCHEMATA,
        threshold=DEFAULT_THRESHOLD,
        stale_days=request.app.state.settings.list_stale_days,
        **{"errors": {}, "error": None, **context},
    )


@router.get("", response_class=HTMLResponse)
def screen_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _screener: ScreenerDep,
    live: LiveSessionDep,
) -> HTMLResponse:
    return _page(request, live, _lists(request, session, settings), ScreenForm())


@router.post("", response_class=HTMLResponse)
def screen_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: ScreenerDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: Annotated[ScreenForm, Form()],
) -> HTMLResponse:
    lists = _lists(request, session, settings)
    if form.schema_ not in SCHEMATA:
        form.schema_ = "Person"
    query = screening.Query("web", form.schema_, form.properties())
    cache: screening.IndexCache = request.app.state.screening_index
    try:
        index = cache.get(session)
        outcome = screening.screen(
            session,
            index,
            [query],
            screening.Options(dataset=form.dataset or screening.DEFAULT_DATASET),
            actor=principal.actor,
            channel="web",
        )[0]
    except InvalidInput as error:
        errors = _form_errors(error, form.schema_)
        message = "The screening could not run: see the fields marked below."
        return _page(request, live, lists, form, status=422, error=message, errors=errors)
    results = [
        {
            "id": hit.record.id,
            "caption": hit.record.caption,
            "schema": hit.record.schema,
            "datasets": hit.record.datasets,
            "programs": sorted(hit.record.programs),
            "score": hit.scored.score,
            "match": hit.match,
            "features": [_explain(f) for f in hit.scored.features],
        }
        for hit in outcome.hits
    ]
    return _page(
        request,
        live,
        lists,
        form,
        results=results,
        screening_id=outcome.screening_id,
        screened_at=datetime.now(UTC),
    )
