"""The list snapshots shipped with Dignity (data/bundled), which `make run` loads.

Only lists whose terms allow redistribution are bundled; see data/bundled/README.md.
"""

from __future__ import annotations

from pathlib import Path

# (path under the bundled directory, format, date of the copy when the file states none).
# The OFAC legacy CSV carries no date; this one was downloaded on 2024-05-03 (data/bundled/README).
BUNDLED: tuple[tuple[str, str, str | None], ...] = (
    ("us-ofac-sdn/sdn.csv", "ofac-csv", "2024-05-03"),
    ("un-sc/consolidated.xml", "un-xml", None),
    ("au-dfat/Australian_Sanctions_Consolidated_List.xlsx", "au-xlsx", None),
)


def bundled_files(directory: Path) -> list[tuple[Path, str, str | None]]:
    """The bundled files present in `directory`, with their formats and known dates."""
    return [
        (directory / name, fmt, known_date)
        for name, fmt, known_date in BUNDLED
        if (directory / name).is_file()
    ]
