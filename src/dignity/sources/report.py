"""What an import found: counts in the publisher's own unit, and everything it could not map."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_WARNINGS = 1000


@dataclass(frozen=True)
class ImportWarning:
    """A problem that did not stop the import: where (file, line or record), which field, what."""

    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    """Filled in by a format reader while it streams a file.

    `targets` counts listed entries in the publisher's unit (one per SDN row, one per UN INDIVIDUAL
    or ENTITY, one per Australian reference number). `unmapped` counts fields seen in the file that
    no property receives, by field name.
    """

    format: str
    source: str
    targets: int = 0
    publisher_date: str | None = None
    schemata: Counter[str] = field(default_factory=Counter)
    programs: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    warnings: list[ImportWarning] = field(default_factory=list)
    warnings_dropped: int = 0

    def warn(self, location: str, field_name: str, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(ImportWarning(location, field_name, message))
        else:
            self.warnings_dropped += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "publisher_date": self.publisher_date,
            "targets": self.targets,
            "entities": sum(self.schemata.values()),
            "schemata": dict(sorted(self.schemata.items())),
            "programs": dict(sorted(self.programs.items())),
            "unmapped": dict(sorted(self.unmapped.items())),
            "warnings": [
                {"location": w.location, "field": w.field, "message": w.message}
                for w in self.warnings
            ],
            "warnings_dropped": self.warnings_dropped,
        }
