"""The registry's delta between two real releases of OFAC's SDN list, and time travel back.

Version 1 is the complete 2021-07 CSV set (sdn + add + alt + sdn_comments), version 2 the
complete 2024-05-03 sdn.csv (OFAC's primary file only: no addresses or strong aliases), both
verbatim under ../shared/data/ofac and imported into the same list. The entries added and
removed are recounted here from the raw files: a target's id is `ofac-<ent_num>`, the first
column of sdn.csv. Importing both files takes some 20 s, so it is done once, in one test.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from followthemoney import StatementEntity
from followthemoney.statement import Statement as FtmStatement
from sqlalchemy.orm import Session

from dignity.exc import NotFound
from dignity.registry import services as registry
from dignity.sources.services import ListFile, open_list

OFAC = Path(__file__).resolve().parents[3].parent / "shared/data/ofac"
SET_2021 = OFAC / "legacy-csv-2021-07-07"
SDN_2024 = OFAC / "sdn-csv-2024-05-03" / "sdn.csv"
LIST = "us_ofac_sdn_delta"
TARGET = re.compile(r"ofac-\d+")
TARGET_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane"}

Values = dict[str, set[tuple[str, str]]]


def ent_nums(path: Path) -> set[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return {row[0].strip() for row in csv.reader(handle) if len(row) == 12}


def values(entity: StatementEntity) -> set[tuple[str, str]]:
    return {(s.prop, s.value) for s in entity.statements if s.prop != FtmStatement.BASE}


def recorded(list_file: ListFile, into: Values) -> ListFile:
    """`list_file`, noting every value its reader yields as the import streams it."""
    read = list_file.entities

    def entities() -> Iterator[StatementEntity]:
        for entity in read():
            into.setdefault(str(entity.id), set()).update(values(entity))
            yield entity

    list_file.entities = entities  # type: ignore[method-assign]
    return list_file


@pytest.mark.slow
def test_delta_from_2021_to_2024_and_time_travel_back(session: Session) -> None:
    read_2021: Values = {}
    first = registry.import_list(
        session, recorded(open_list(SET_2021, "ofac-csv", LIST), read_2021), actor="test"
    )
    second = registry.import_list(session, open_list(SDN_2024, "ofac-csv", LIST), actor="test")
    assert first.version is not None
    assert second.version is not None
    assert (first.version.seq, first.version.targets) == (1, 8_976)
    assert (second.version.seq, second.version.targets) == (2, 14_965)

    old, new = ent_nums(SET_2021 / "sdn.csv"), ent_nums(SDN_2024)
    assert (len(new - old), len(old - new)) == (6_870, 881)
    change = registry.delta(session, LIST, 1, 2)
    added = {c.entity_id: c for c in change.added}
    removed = {c.entity_id: c for c in change.removed}
    changed = {c.entity_id: c for c in change.changed}
    assert {id_ for id_ in added if TARGET.fullmatch(id_)} == {f"ofac-{n}" for n in new - old}
    assert {id_ for id_ in removed if TARGET.fullmatch(id_)} == {f"ofac-{n}" for n in old - new}
    assert {id_ for id_ in changed if TARGET.fullmatch(id_)} <= {f"ofac-{n}" for n in old & new}
    assert all(added[f"ofac-{n}"].schema in TARGET_SCHEMATA for n in new - old)
    noriega = removed["ofac-1572"]
    assert noriega.caption == "NORIEGA, Manuel Antonio"
    assert ("name", "NORIEGA, Manuel Antonio") in noriega.removed
    assert noriega.added == []

    # A name completed: SECHIN, Igor -> SECHIN, Igor Ivanovich.
    sechin = changed["ofac-16692"]
    assert ("name", "SECHIN, Igor Ivanovich") in sechin.added
    assert ("firstName", "Igor Ivanovich") in sechin.added
    assert ("name", "SECHIN, Igor") in sechin.removed
    assert ("firstName", "Igor") in sechin.removed
    # A remark rewritten: AKIMOV's date of birth given to the day, a tax number added.
    akimov = changed["ofac-24316"]
    assert ("birthDate", "1953-09-22") in akimov.added
    assert ("taxNumber", "772140862280") in akimov.added
    assert ("birthDate", "1953") in akimov.removed
    assert (
        "notes",
        "DOB 1953; POB Leningrad, Russia; Gender Male; Chairman of the Management "
        "Board of Gazprombank.",
    ) in akimov.removed
    assert ("birthPlace", "Leningrad, Russia") not in akimov.added + akimov.removed
    # A program replaced: SANTANILLA BOTACHE moved from SDNTK to SDGT (one Sanction per program).
    assert ("programId", "SDNTK") in removed["ofac-10405-sanction-sdntk"].removed
    assert ("programId", "SDGT") in added["ofac-10405-sanction-sdgt"].added
    # A program added: ROSOBORONEKSPORT, also under RUSSIA-EO14024 by 2024.
    assert ("programId", "RUSSIA-EO14024") in added["ofac-18782-sanction-russia-eo14024"].added
    # Its SYRIA sanction stays, with the entry's new scope facts among its provisions.
    syria = changed["ofac-18782-sanction-syria"]
    assert syria.removed == []
    assert (
        "provisions",
        "Secondary sanctions risk: Ukraine-/Russia-Related Sanctions Regulations, "
        "31 CFR 589.201 and/or 589.209",
    ) in syria.added
    # Version 2 has no add.csv: the 2021 addresses are gone with it.
    assert any(p == "addressEntity" for p, _ in changed["ofac-18782"].removed)

    # Time travel: version 1 rebuilt after version 2 was imported is the 2021 set as read.
    rebuilt = {str(e.id): values(e) for e in registry.iter_entities(session, LIST, 1)}
    assert rebuilt == read_2021
    assert rebuilt["ofac-16692"] >= {("name", "SECHIN, Igor"), ("firstName", "Igor")}
    assert ("name", "SECHIN, Igor Ivanovich") not in rebuilt["ofac-16692"]
    assert "ofac-35096" not in rebuilt  # PUTIN, designated in 2022
    putin = registry.entity_statements(session, "ofac-35096")
    assert {version.seq for _, version in putin} == {2}
    with pytest.raises(NotFound):
        registry.entity_statements(session, "ofac-1572")  # in no current version
