"""Reasons a reviewer gives for deciding an alert is a false positive.

YAML files under `dispositions/`; every file's reasons are merged, so a team adds local terms with
a file of its own, no code change. A bad or repeated code fails at load, naming the file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dignity.exc import ConfigurationError

DISPOSITIONS_DIR = Path(__file__).parent / "dispositions"


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    note_required: bool = False


class _ReasonFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reasons: dict[str, Reason]


def load_reasons(directory: Path = DISPOSITIONS_DIR) -> dict[str, Reason]:
    reasons: dict[str, Reason] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            found = _ReasonFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as error:
            raise ConfigurationError(f"{path}: invalid reasons: {error}") from error
        for code, reason in found.reasons.items():
            if code in reasons:
                raise ConfigurationError(f"{path}: reason {code!r} is defined twice")
            reasons[code] = reason
    return reasons


@lru_cache(maxsize=1)
def false_positive_reasons() -> dict[str, Reason]:
    return load_reasons()
