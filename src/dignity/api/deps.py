"""FastAPI dependencies shared by the routers (aliases end in `Dep`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dignity.settings import Settings
from dignity.store.engine import WRITE_INTENT


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests that change nothing: their own transaction must write nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed if the handler returns, rolled back if it raises.

    A request that may write declares it up front, so that on SQLite it waits for the write lock
    rather than failing when another writer commits between its reads and its writes.
    """
    with request.app.state.sessionmaker() as session, session.begin():
        if request.method not in SAFE_METHODS:
            session.connection(execution_options={WRITE_INTENT: True})
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
