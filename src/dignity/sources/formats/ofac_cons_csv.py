"""`ofac-cons-csv`: OFAC's Consolidated (non-SDN) list in the legacy CSV set (cons_prim.csv,
cons_add.csv, cons_alt.csv, cons_comments.csv): the same layout as the SDN set (`ofac_legacy`).
PATH is the folder or the cons_prim.csv file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.sources.formats.ofac_common import PUBLISHER as PUBLISHER
from dignity.sources.formats.ofac_common import SLS
from dignity.sources.formats.ofac_legacy import FileSet, read_set
from dignity.sources.report import ImportReport

FORMAT = "ofac-cons-csv"
DEFAULT_LIST = "us_ofac_cons"
TITLE = "US Treasury OFAC Consolidated Sanctions List (non-SDN lists), CSV"
FILES = FileSet(
    "cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv", SLS + "CONS_PRIM.CSV"
)


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    return read_set(path, report, dataset, FILES)
