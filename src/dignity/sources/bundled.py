"""The list snapshots shipped with Dignity (data/bundled), which `make run` loads.

Only lists whose terms allow redistribution are bundled; see data/bundled/README.md.
"""

from __future__ import annotations

from pathlib import Path

# (path under the bundled directory, format)
BUNDLED: tuple[tuple[str, str], ...] = (
    ("us-ofac-sdn/sdn.csv", "ofac-csv"),
    ("un-sc/consolidated.xml", "un-xml"),
    ("au-dfat/Australian_Sanctions_Consolidated_List.xlsx", "au-xlsx"),
)


def bundled_files(directory: Path) -> list[tuple[Path, str]]:
    """The bundled files present in `directory`, with their formats."""
    return [(directory / name, fmt) for name, fmt in BUNDLED if (directory / name).is_file()]
