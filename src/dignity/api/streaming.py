"""Streaming downloads that read the store after the request's own session has closed."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from dignity.audit.services import export_lines


def stream_export(factory: sessionmaker[Session]) -> Iterator[str]:
    """The audit log export, read in a read-only transaction of its own while it streams."""
    with factory() as session, session.begin():
        yield from export_lines(session)
