"""Liveness and readiness: `/healthz` answers whether the store can be reached."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from dignity import __version__
from dignity.api.deps import SessionDep

router = APIRouter(tags=["system"])


class HealthRead(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["ok"]


@router.get("/healthz", response_model=HealthRead, summary="Service health")
def healthz(session: SessionDep) -> HealthRead:
    """Answers 200 when the service is up and its store answers a query."""
    session.execute(text("SELECT 1"))
    return HealthRead(status="ok", version=__version__, database="ok")
