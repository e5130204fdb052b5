"""A documented event for tests: made through the real services, as an investigator records it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dignity.documentation import services as docs
from dignity.security.authz import Principal
from dignity.security.models import Project


def story(session: Session, who: Principal, project: Project) -> dict[str, str]:
    """An event with two acts (two victims), a group of perpetrators involved in the first."""
    event = docs.create_record(
        session,
        who,
        "events",
        project.id,
        {
            "title": "Raid on the market of El Geneina",
            "start_date": "2023-06",
            "start_precision": "date.month",
            "country": "SD",
            "violation_types": ["violation.arbitrary-detention", "violation.torture"],
        },
    )
    first, second = (
        docs.create_record(session, who, "persons", project.id, {"kind": "individual", "sex": s})
        for s in ("sex.female", "sex.male")
    )
    unit = docs.create_record(
        session,
        who,
        "persons",
        project.id,
        {
            "kind": "group",
            "counting_unit": "unit.person",
            "group_size_min": 20,
            "group_size_max": 40,
            "perpetrator_type": "perpetrator.state.armed-forces",
        },
    )
    act = docs.create_record(
        session,
        who,
        "acts",
        project.id,
        {
            "event_id": event.id,
            "victim_id": first.id,
            "act_type": "act.deprivation-of-liberty.detention",
        },
    )
    docs.create_record(
        session,
        who,
        "acts",
        project.id,
        {"event_id": event.id, "victim_id": second.id, "act_type": "act.ill-treatment"},
    )
    docs.create_record(
        session,
        who,
        "involvements",
        project.id,
        {"act_id": act.id, "perpetrator_id": unit.id, "degree": "involvement.direct"},
    )
    return {"event": event.id, "act": act.id, "victim": first.id, "unit": unit.id}
