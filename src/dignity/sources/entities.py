"""Helpers every format reader uses to build FollowTheMoney entities the same way."""

from __future__ import annotations

import hashlib

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.sources.report import ImportReport


def list_dataset(name: str, title: str | None = None) -> Dataset:
    return Dataset.make({"name": name, "title": title or name})


def entity_id(prefix: str, *parts: str | int) -> str:
    """A stable id for an entity of a list: the list's prefix and the publisher's own key.

    `entity_id("ofac", 12345)` -> `ofac-12345`; keys that are not simple tokens are hashed.
    """
    key = "-".join(str(part).strip() for part in parts if str(part).strip())
    if key.replace("-", "").replace(".", "").isalnum() and len(key) <= 64:
        return f"{prefix}-{key}".lower()
    return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()}"  # noqa: S324 (an id, not security)


def make_entity(dataset: Dataset, schema: str, id_: str) -> StatementEntity:
    return StatementEntity(dataset, {"schema": schema, "id": id_})


def emit(report: ImportReport, entity: StatementEntity) -> StatementEntity:
    """Count an entity in the report on its way out of a reader."""
    report.schemata[entity.schema.name] += 1
    return entity
