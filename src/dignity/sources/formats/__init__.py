"""The formats Dignity reads, by the name used on the command line.

Each module defines `read(path, report, dataset) -> Iterator[StatementEntity]` and the constants
`FORMAT` (this name), `PUBLISHER`, `DEFAULT_LIST` (the list name used when none is given) and
`TITLE`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.exc import InvalidInput
from dignity.sources.report import ImportReport

MODULES = {
    "ofac-csv": "ofac_csv",
    "ofac-cons-csv": "ofac_cons_csv",
    "ofac-xml": "ofac_xml",
    "ofac-advanced": "ofac_advanced",
    "un-xml": "un_xml",
    "eu-xml": "eu_xml",
    "uk-xml": "uk_xml",
    "uk-csv": "uk_csv",
    "ca-xml": "ca_xml",
    "au-xlsx": "au_xlsx",
    "ftm": "ftm",
}


class Reader(Protocol):
    FORMAT: str
    PUBLISHER: str
    DEFAULT_LIST: str
    TITLE: str

    def read(
        self, path: Path, report: ImportReport, dataset: Dataset
    ) -> Iterator[StatementEntity]: ...


def get_reader(name: str) -> Reader:
    if name not in MODULES:
        known = ", ".join(sorted(MODULES))
        raise InvalidInput(f"unknown list format {name!r}; known formats: {known}")
    module: ModuleType = importlib.import_module(f"dignity.sources.formats.{MODULES[name]}")
    return cast(Reader, module)
