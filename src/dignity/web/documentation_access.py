"""The survivor access report: everything held about a person, as a readable page and as a PDF,
for the person to see on request (Murad Code). Produced by staff with need-to-know (it shows the
identity); each report is audited, so it is made by a POST (no GET writes), and the PDF is sent as
an attachment. The page and the PDF are built from the same sections, so they say the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

import dignity.documentation.services as docs
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_shared import ReaderDep, RecordId, term_label
from dignity.web.pdf import Section, render_pdf
from dignity.web.templating import render

router = APIRouter(prefix="/records/persons", include_in_schema=False)


def _date(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def sections(report: docs.AccessReport, lang: str) -> list[Section]:
    """The report as plain sections: what the page shows and the PDF prints."""
    person, identity = report.person, report.identity
    who = Section("Who you are in our records")
    who.rows.append(("Code", person.code))
    who.rows.append(("Kind", person.kind))
    if person.sex:
        who.rows.append(("Sex", term_label(person.sex, lang)))
    if person.description:
        who.rows.append(("Description", person.description))
    if identity is not None:
        who.rows += [("Name", n.name) for n in identity.names]
        if identity.birth_date:
            who.rows.append(("Date of birth", identity.birth_date))
        if identity.nationalities:
            who.rows.append(("Nationalities", ", ".join(identity.nationalities)))
        who.rows += [("Contact", c) for c in identity.contacts]
        who.rows += [("Address", a) for a in identity.addresses]
        if identity.exact_location:
            who.rows.append(("Exact location", identity.exact_location))
        who.rows += [
            ("Identity number", f"{i.type} {i.number}" + (f" ({i.country})" if i.country else ""))
            for i in identity.id_numbers
        ]
    acts = Section("What was recorded as done to you")
    for act, event in report.acts:
        when = f", {act.start_date}" if act.start_date else ""
        acts.rows.append((term_label(act.act_type, lang) + when, event.title))
    told = Section("What you told us")
    for info in report.testimony:
        what = term_label(info.material_type, lang) or "Information"
        told.rows.append((what + (f", {info.date}" if info.date else ""), info.remarks or ""))
    about = Section("What others told us about you")
    for info in report.about:
        about.rows.append(
            (term_label(info.material_type, lang) or "Information", info.remarks or "")
        )
    involved = Section("Where you are named as allegedly involved")
    for inv, act, event in report.involvements:
        involved.rows.append(
            (term_label(inv.degree, lang), f"{term_label(act.act_type, lang)}: {event.title}")
        )
    consent = Section("Your consent")
    for c in report.consents:
        state = "withdrawn" if c.action == "withdrawal" else ", ".join(c.scopes) or "nothing"
        consent.rows.append(
            (
                f"{_date(c.given_on)} ({c.method}, {c.language}"
                + (", provisional" if c.provisional else "")
                + (", current" if c.current else "")
                + ")",
                state,
            )
        )
    shares = Section("Who we shared your information with")
    for s in report.shares:
        told_of = "; told of your withdrawal" if s.notified else ""
        shares.rows.append(
            (
                f"{_date(s.shared_at.date())}: {s.recipient_name} ({s.recipient_kind})",
                f"{s.purpose}" + (" (with your identity)" if s.includes_identity else "") + told_of,
            )
        )
    promises = Section("What we promised you")
    for p in report.promises:
        promises.rows.append(
            (f"{p.kind}, due {_date(p.due_on)}", p.status + (" (overdue)" if p.overdue else ""))
        )
    changes = Section("Changes to your record")
    for change in report.changes:
        changes.rows.append(
            (f"{_date(change.at.date())}, revision {change.revision}", ", ".join(change.changes))
        )
    return [who, acts, told, about, involved, consent, shares, promises, changes]


def _byline(report: docs.AccessReport) -> str:
    made = report.made_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"Everything the organisation holds about {report.person.code}, as of {made}."


@router.post("/{person_id}/access-report", response_class=HTMLResponse)
def access_report_page(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
) -> HTMLResponse:
    report = docs.access_report(session, reader, request.app.state.keyring, person_id)
    lang: str = request.app.state.settings.language
    return render(
        request,
        "documentation/access_report.html",
        live=live,
        report=report,
        byline=_byline(report),
        sections=sections(report, lang),
    )


@router.post("/{person_id}/access-report.pdf")
def access_report_pdf(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    _csrf: CsrfDep,
    person_id: RecordId,
) -> Response:
    report = docs.access_report(session, reader, request.app.state.keyring, person_id)
    settings = request.app.state.settings
    body = render_pdf(
        f"Everything held about {report.person.code}",
        _byline(report),
        sections(report, settings.language),
        rtl=settings.text_direction == "rtl",
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="access-report-{report.person.code}.pdf"',
            "Cache-Control": "no-store",
        },
    )
