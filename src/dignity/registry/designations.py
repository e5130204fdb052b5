"""Designations: who lists an entity, under which programme, since when, read from the Sanction
entities of the current list versions that point at it (FtM `Sanction.entity`). Used through
`registry.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from dignity.registry.models import ListVersion, SourceList, Statement


@dataclass(frozen=True)
class Designation:
    """One listing of a target: by whom, under which programme, since when (as the list says)."""

    list_id: str
    entity_id: str
    authority: str
    program: str
    listed: str | None


def _current_sanction_values(session: Session, *where: ColumnElement[bool]) -> list[Any]:
    latest = (
        select(ListVersion.list_id, func.max(ListVersion.seq).label("seq"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    return list(
        session.execute(
            select(Statement.list_id, Statement.entity_id, Statement.prop, Statement.value)
            .join(
                latest,
                and_(latest.c.list_id == Statement.list_id, latest.c.seq == Statement.last_seen),
            )
            .where(Statement.schema == "Sanction", *where)
        ).all()
    )


def designations(session: Session, entity_ids: list[str]) -> dict[str, list[Designation]]:
    """The current listings of each entity, read from the Sanction entities that point at it."""
    targets: dict[tuple[str, str], str] = {}  # (list, sanction id) -> target
    for start in range(0, len(entity_ids), 900):
        chunk = entity_ids[start : start + 900]
        rows = _current_sanction_values(
            session, Statement.prop == "entity", Statement.value.in_(chunk)
        )
        targets.update({(list_id, sanction): target for list_id, sanction, _, target in rows})
    values: dict[tuple[str, str], dict[str, list[str]]] = {}
    sanction_ids = sorted({sanction for _, sanction in targets})
    for start in range(0, len(sanction_ids), 900):
        for list_id, sanction, prop, value in _current_sanction_values(
            session,
            Statement.entity_id.in_(sanction_ids[start : start + 900]),
            Statement.prop.in_(("authority", "programId", "program", "listingDate", "startDate")),
        ):
            if (list_id, sanction) in targets:
                values.setdefault((list_id, sanction), {}).setdefault(prop, []).append(value)
    found: dict[str, list[Designation]] = {entity_id: [] for entity_id in entity_ids}
    for (list_id, sanction), target in sorted(targets.items()):
        props = values.get((list_id, sanction), {})
        dates = sorted(props.get("listingDate", []) or props.get("startDate", []))
        found.setdefault(target, []).append(
            Designation(
                list_id=list_id,
                entity_id=target,
                authority=min(props.get("authority", [list_id])),
                program=min(props.get("programId", []) or props.get("program", ["?"])),
                listed=dates[0] if dates else None,
            )
        )
    return found


def authorities(session: Session) -> dict[str, str]:
    """Who designates through each list (its Sanctions' authority), by list; the list's own
    name where its entries name none."""
    found = {row[0]: row[1] for row in session.execute(select(SourceList.id, SourceList.publisher))}
    rows = _current_sanction_values(session, Statement.prop == "authority")
    for list_id, _, _, authority in sorted(rows, key=lambda row: row[3], reverse=True):
        found[list_id] = authority
    return found
