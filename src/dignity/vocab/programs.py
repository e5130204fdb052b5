"""Sanctions programs and regimes of every publisher, and the legal authority behind each.

One YAML file per publisher under `programs/`:

    publisher: us-ofac
    authority: United States Department of the Treasury, Office of Foreign Assets Control
    programs:
      GLOMAG:
        title: Global Magnitsky Sanctions
        legal_basis: [Executive Order 13818, Global Magnitsky Human Rights Accountability Act]
        regime: global-magnitsky
        themes: [human-rights, corruption]

`themes` flags what a program targets, across publishers, so "designated for human-rights abuse"
is a query: `vocabulary().codes_with_theme("human-rights")`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dignity.exc import ConfigurationError

PROGRAMS_DIR = Path(__file__).parent / "programs"

Theme = Literal[
    "human-rights",
    "corruption",
    "terrorism",
    "proliferation",
    "narcotics",
    "cyber",
    "organised-crime",
    "country",
    "conflict",
    "other",
]


class Program(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    legal_basis: list[str] = Field(min_length=1)
    regime: str = Field(pattern=r"^[a-z0-9-]+$")
    themes: list[Theme] = Field(min_length=1)


class PublisherPrograms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: str = Field(pattern=r"^[a-z0-9-]+$")
    authority: str
    programs: dict[str, Program]


class ProgramVocabulary:
    def __init__(self, publishers: list[PublisherPrograms]) -> None:
        self.publishers = {p.publisher: p for p in publishers}

    def get(self, publisher: str, code: str) -> Program | None:
        entry = self.publishers.get(publisher)
        return entry.programs.get(code.strip()) if entry else None

    def authority(self, publisher: str) -> str | None:
        entry = self.publishers.get(publisher)
        return entry.authority if entry else None

    def codes_with_theme(self, theme: Theme) -> set[tuple[str, str]]:
        """(publisher, program code) pairs whose program carries `theme`."""
        return {
            (publisher, code)
            for publisher, entry in self.publishers.items()
            for code, program in entry.programs.items()
            if theme in program.themes
        }


def load_programs(directory: Path = PROGRAMS_DIR) -> ProgramVocabulary:
    """Read and validate every publisher file; a bad file raises `ConfigurationError` naming it."""
    publishers = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            publishers.append(PublisherPrograms.model_validate(data))
        except (yaml.YAMLError, ValidationError) as error:
            raise ConfigurationError(f"{path}: invalid program vocabulary: {error}") from error
    return ProgramVocabulary(publishers)


@lru_cache(maxsize=1)
def vocabulary() -> ProgramVocabulary:
    return load_programs()
