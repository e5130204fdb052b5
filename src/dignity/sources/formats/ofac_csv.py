"""`ofac-csv`: OFAC's SDN list in the legacy CSV set (sdn.csv, add.csv, alt.csv,
sdn_comments.csv). PATH is the folder or the sdn.csv file; the three join files are optional
(each one missing is a warning in the report). See `ofac_legacy` for the layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.sources.formats.ofac_common import PUBLISHER as PUBLISHER
from dignity.sources.formats.ofac_common import SLS
from dignity.sources.formats.ofac_legacy import FileSet, read_set
from dignity.sources.report import ImportReport

FORMAT = "ofac-csv"
DEFAULT_LIST = "us_ofac_sdn"
TITLE = "US Treasury OFAC Specially Designated Nationals and Blocked Persons List (SDN), CSV"
FILES = FileSet("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv", SLS + "SDN.CSV")


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    return read_set(path, report, dataset, FILES)
