"""A listed entity as monitoring remembers it: a signature of its values, a snapshot, a diff.

An alert is decided on what the entity said at the time. The signature (SHA-256 of its values,
lists, programs and identifiers in a canonical order) tells whether that is still so; the snapshot
lets the alert that comes back show what changed, value by value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from dignity.screening.records import Record

Snapshot = dict[str, list[str]]
# Keys of a snapshot that are not FollowTheMoney properties of the entity itself.
LISTS_KEY = "(lists)"
PROGRAMS_KEY = "(programs)"
IDENTIFIERS_KEY = "(identifiers)"


def snapshot(record: Record) -> Snapshot:
    """The entity's values as the matcher had them, each sorted and without repeats."""
    values: Snapshot = {
        prop: sorted(set(items)) for prop, items in record.properties.items() if items
    }
    values[LISTS_KEY] = sorted(set(record.datasets))
    values[PROGRAMS_KEY] = sorted(record.programs)
    values[IDENTIFIERS_KEY] = sorted(
        f"{prop}:{value}" for prop, found in record.identifiers.items() for value in found
    )
    return {key: items for key, items in sorted(values.items()) if items}


def signature(values: Snapshot) -> str:
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def diff(before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> dict[str, Any]:
    """property -> {"added": [...], "removed": [...]} for every property whose values moved."""
    changes: dict[str, Any] = {}
    for prop in sorted(set(before) | set(after)):
        old, new = set(before.get(prop, ())), set(after.get(prop, ()))
        if old != new:
            changes[prop] = {"added": sorted(new - old), "removed": sorted(old - new)}
    return changes
