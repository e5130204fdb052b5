"""Full-text search over documentation records, behind one interface for both stores.

SQLite keeps an FTS5 table (Unicode tokens, diacritics folded); PostgreSQL a table with a generated
`tsvector` (the `simple` configuration: no stemming, so names and words of any language match as
written) and a GIN index. Both hold, per record, its type, id, project and the text of its free-text
fields; never anything from the identity vault. Every query is limited to the caller's projects,
as lists and counts are.

Query text is split into words; each must appear (as a word or the start of one), in any order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from dignity.documentation.models import Managed
from dignity.security.authz import Principal
from dignity.security.permissions import Permission

TABLE = "doc_search"
# The free-text fields of each record type that search reads.
SEARCHED = {
    "events": ("title", "description", "place", "impact"),
    "acts": ("place", "stated_reason", "consequences"),
    "persons": ("code", "description"),
    "information": ("remarks",),
    "interventions": ("response", "impact"),
    "event-links": ("remarks",),
    "involvements": ("remarks",),
}
_WORD = re.compile(r"\w+", re.UNICODE)
WORDS_MAX = 12
LIMIT_MAX = 200


@dataclass(frozen=True)
class Found:
    record_type: str
    record_id: str
    project_id: str


def _body(type_name: str, record: Managed) -> str:
    return "\n".join(str(getattr(record, name) or "") for name in SEARCHED.get(type_name, ()))


def index_record(session: Session, type_name: str, record: Managed) -> None:
    """(Re)index one record, in the caller's transaction."""
    if type_name not in SEARCHED:
        return
    params = {"t": type_name, "r": record.id, "p": record.project_id, "b": _body(type_name, record)}
    # Only constants are formatted into these statements; every value is a bound parameter.
    session.execute(text(f"DELETE FROM {TABLE} WHERE record_id = :r"), params)  # noqa: S608
    session.execute(
        text(
            f"INSERT INTO {TABLE} (record_type, record_id, project_id, body) "  # noqa: S608
            "VALUES (:t, :r, :p, :b)"
        ),
        params,
    )


def _words(query: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(query)][:WORDS_MAX]


def search(
    session: Session,
    principal: Principal,
    query: str,
    *,
    project_id: str | None = None,
    types: Sequence[str] = (),
    limit: int = 50,
) -> list[Found]:
    """Records whose text holds every word of `query`, best first, in the caller's projects."""
    principal.require(Permission.RECORDS_READ)
    words = _words(query)
    if not words:
        return []
    params: dict[str, object] = {"limit": min(max(limit, 1), LIMIT_MAX)}
    clauses = []
    if not principal.is_admin:
        if principal.kind != "user":
            return []
        clauses.append(
            "{t}.project_id IN (SELECT project_id FROM project_members WHERE user_id = :user)"
        )
        params["user"] = principal.id
    if project_id is not None:
        clauses.append("{t}.project_id = :project")
        params["project"] = project_id
    if types:
        names = [f":type{i}" for i in range(len(types))]
        clauses.append("{t}.record_type IN (" + ", ".join(names) + ")")
        params.update({f"type{i}": name for i, name in enumerate(types)})
    # The clauses are this module's own templates; values are bound parameters.
    where = "".join(" AND " + clause.format(t=TABLE) for clause in clauses)
    if session.get_bind().dialect.name == "sqlite":
        params["match"] = " ".join(f'"{word}"*' for word in words)
        sql = (
            f"SELECT record_type, record_id, project_id FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH :match{where} ORDER BY bm25({TABLE}), record_id LIMIT :limit"
        )
    else:
        params["match"] = " & ".join(f"{word}:*" for word in words)
        sql = (
            f"SELECT record_type, record_id, project_id FROM {TABLE} "  # noqa: S608
            f"WHERE tsv @@ to_tsquery('simple', :match){where} "
            "ORDER BY ts_rank(tsv, to_tsquery('simple', :match)) DESC, record_id LIMIT :limit"
        )
    return [Found(*row) for row in session.execute(text(sql), params).all()]
