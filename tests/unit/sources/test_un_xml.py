"""`un-xml`: the UN Security Council Consolidated List, read from the real, complete file of
2026-02-27 in ../shared/data/un (not copied into the project). Expected figures are those of
its PROVENANCE.md, recounted here from the XML itself with lxml where a test needs them.

Hostile inputs for both XML readers (`un-xml`, `ca-xml`) are written into tmp_path here.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from followthemoney import StatementEntity
from lxml import etree

from dignity.exc import InvalidInput
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.report import ImportReport

DATA = Path(__file__).resolve().parents[3].parent / "shared/data"
UN_FILE = DATA / "un/consolidated.xml"
CA_FILE = DATA / "canada/sema-lmes.xml"


def read(path: Path, format_name: str = "un-xml") -> tuple[ImportReport, list[StatementEntity]]:
    reader = get_reader(format_name)
    report = ImportReport(format_name, str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


@pytest.fixture(scope="module")
def un() -> tuple[ImportReport, dict[str, StatementEntity]]:
    report, entities = read(UN_FILE)
    return report, {entity.id: entity for entity in entities if entity.id}


@pytest.fixture(scope="module")
def entries() -> list[etree._Element]:
    """The file's INDIVIDUAL and ENTITY elements, parsed independently of the reader."""
    root = etree.parse(str(UN_FILE), etree.XMLParser(resolve_entities=False)).getroot()
    return [*root.iter("INDIVIDUAL"), *root.iter("ENTITY")]


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def carried(entity: StatementEntity, prop: str, text: str) -> bool:
    """Whether `text`, as the file writes it, is a value of `prop` (FollowTheMoney may have
    cleaned the value, e.g. dropped quotes around a name; the statement keeps the original)."""
    return any(
        stmt.prop == prop and text in (stmt.value, stmt.original_value)
        for stmt in entity.statements
    )


def test_targets_are_the_publishers_entries(un):
    report, _entities = un
    assert report.targets == 1003
    assert report.schemata["Person"] == 730
    assert report.schemata["Organization"] == 273
    assert report.schemata["Sanction"] == 1003
    assert report.publisher_date == "2026-02-27"


def test_regimes_are_counted_per_un_list_type(un):
    report, _entities = un
    assert dict(report.programs) == {
        "Al-Qaida": 341, "DPRK": 155, "Taliban": 140, "Iran": 121, "Iraq": 75, "DRC": 53,
        "Libya": 30, "Somalia": 24, "CAR": 15, "Haiti": 11, "Yemen": 11, "GB": 10, "Sudan": 9,
        "SouthSudan": 8,
    }  # fmt: skip


def test_nothing_is_dropped_silently(un):
    report, _entities = un
    assert report.warnings == []
    # Record-keeping the file carries on every entry, and no property receives.
    assert dict(report.unmapped) == {"LIST_TYPE": 1003, "VERSIONNUM": 1003}


def test_every_original_script_name_is_carried(un, entries):
    _report, entities = un
    with_script = 0
    for entry in entries:
        names = [norm(e.text) for e in entry.iter("NAME_ORIGINAL_SCRIPT") if norm(e.text)]
        if not names:
            continue
        with_script += 1
        entity = entities[f"un-{norm(entry.findtext('REFERENCE_NUMBER')).lower()}"]
        assert all(carried(entity, "alias", name) for name in names), entity.id
    assert with_script == 378


def test_all_alias_elements_are_accounted_for(un, entries):
    """3,043 alias elements: each one with a name is on its entity under the property its
    QUALITY says; the others are empty placeholders (`<ALIAS_NAME/>`)."""
    _report, entities = un
    expected = {"good": "alias", "a.k.a.": "alias", "low": "weakAlias", "f.k.a.": "previousName"}
    counts: Counter[str] = Counter()
    for entry in entries:
        entity = entities[f"un-{norm(entry.findtext('REFERENCE_NUMBER')).lower()}"]
        for alias in [*entry.iter("INDIVIDUAL_ALIAS"), *entry.iter("ENTITY_ALIAS")]:
            name = norm(alias.findtext("ALIAS_NAME"))
            if not name:
                counts["empty"] += 1
                continue
            prop = expected[norm(alias.findtext("QUALITY")).lower()]
            assert carried(entity, prop, name), (entity.id, prop, name)
            counts[prop] += 1
    assert sum(counts.values()) == 3043
    assert counts == {
        "alias": 1524 + 594, "weakAlias": 615, "previousName": 19, "empty": 291
    }  # fmt: skip


def test_a_person_with_documents_addresses_and_sanction(un):
    _report, entities = un
    person = entities["un-qdi.430"]
    assert person.schema.name == "Person"
    assert person.get("name") == ["EMRAAN ALI"]
    assert (person.get("firstName"), person.get("secondName")) == (["EMRAAN"], ["ALI"])
    assert person.get("weakAlias") == ["Abu Jihad TNT"]
    assert person.get("birthDate") == ["1967-07-04"]
    assert person.get("birthCountry") == ["tt"]
    assert sorted(person.get("nationality")) == ["tt", "us"]
    assert sorted(person.get("passportNumber")) == ["420985453", "TB162181"]
    assert person.get("idNumber") == ["19670704052"]
    assert len(person.get("addressEntity")) == 3
    passport = entities["un-qdi.430-document-tb162181"]
    assert passport.schema.name == "Passport"
    assert passport.get("holder") == ["un-qdi.430"]
    assert passport.get("country") == ["tt"]
    sanction = entities["un-qdi.430-sanction-al-qaida"]
    assert sanction.get("entity") == ["un-qdi.430"]
    assert sanction.get("unscId") == ["QDi.430"]
    assert sanction.get("authorityId") == ["QDi.430"]
    assert sanction.get("programId") == ["Al-Qaida"]
    assert sanction.get("listingDate") == ["2021-11-23"]
    assert sanction.get("modifiedAt") == ["2022-04-01"]
    assert sanction.get("authority") == ["United Nations Security Council"]
    assert sanction.get("program")[0].startswith("ISIL (Da'esh) and Al-Qaida sanctions")


def test_every_date_of_birth_keeps_its_precision(un, entries):
    """EXACT dates, bare years, APPROXIMATELY years and BETWEEN ranges: each becomes a
    birthDate at the precision the file gives, a range one date per year."""
    _report, entities = un
    checked = Counter()
    for entry in entries:
        entity = entities[f"un-{norm(entry.findtext('REFERENCE_NUMBER')).lower()}"]
        for dob in entry.iter("INDIVIDUAL_DATE_OF_BIRTH"):
            kind = norm(dob.findtext("TYPE_OF_DATE"))
            expected = [norm(dob.findtext(tag)) for tag in ("DATE", "YEAR")]
            low, high = norm(dob.findtext("FROM_YEAR")), norm(dob.findtext("TO_YEAR"))
            if low:
                expected += [str(year) for year in range(int(low), int(high) + 1)]
            for date in filter(None, expected):
                assert date in entity.get("birthDate"), (entity.id, date)
                checked[kind] += 1
    assert checked["EXACT"] == 453 + 261 + 1 + 1
    assert checked["APPROXIMATELY"] == 116
    assert checked["BETWEEN"] == 124  # 31 ranges of 2 to 7 years


def test_a_between_range_is_noted(un):
    _report, entities = un
    person = next(
        e
        for e in entities.values()
        if "Date of birth: between 1977 and 1982" in e.get("notes", quiet=True)
    )
    assert {"1977", "1978", "1979", "1980", "1981", "1982"} <= set(person.get("birthDate"))


def test_an_entity_keeps_its_company_imo_number_and_aliases(un):
    _report, entities = un
    company = entities["un-kpe.020"]
    assert company.schema.name == "Organization"
    assert company.get("imoNumber") == ["IMO1790183"]
    assert "East Sea Shipping Company" in company.get("alias")
    assert company.get("country") == ["kp"]


def test_an_original_script_alias_note_becomes_an_alias(un, entries):
    _report, entities = un
    for entry in entries:
        for note in entry.iter("NOTE"):
            text = norm(note.text)
            if text.startswith("original script: "):
                entity = entities[f"un-{norm(entry.findtext('REFERENCE_NUMBER')).lower()}"]
                script = text.removeprefix("original script: ")
                assert carried(entity, "alias", script) or carried(entity, "weakAlias", script)
                return
    pytest.fail("no alias note with an original-script name in the file")


# --- hostile inputs: both XML readers ----------------------------------------------------------

XML_READERS = [("un-xml", "CONSOLIDATED_LIST"), ("ca-xml", "data-set")]
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE {root} [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<{root}>&lol3;</{root}>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<{root}>&xxe;</{root}>
"""
# A DOCTYPE pushed past the first 64 KiB by a long comment.
PADDED_DOCTYPE = '<?xml version="1.0"?>\n<!--' + "x" * 70_000 + "-->\n<!DOCTYPE {root}>\n<{root}/>"


@pytest.mark.parametrize(("format_name", "root"), XML_READERS)
@pytest.mark.parametrize(
    ("text", "line"),
    [(BILLION_LAUGHS, 2), (EXTERNAL_ENTITY, 2), (PADDED_DOCTYPE, 3)],
    ids=["billion-laughs", "external-entity", "padded-doctype"],
)
def test_doctype_and_entities_are_refused(tmp_path, format_name, root, text, line):
    path = tmp_path / "hostile.xml"
    path.write_text(text.replace("{root}", root), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read(path, format_name)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (f"{path}:{line}", "DOCTYPE")


@pytest.mark.parametrize(("format_name", "source"), [("un-xml", UN_FILE), ("ca-xml", CA_FILE)])
def test_a_truncated_file_is_refused_naming_the_line(tmp_path, format_name, source):
    path = tmp_path / "truncated.xml"
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput) as caught:
        read(path, format_name)
    error = caught.value.errors[0]
    assert error.field == "xml"
    assert error.location.startswith(f"{path}:")
    assert int(error.location.rsplit(":", 1)[1]) > 1
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(("format_name", "source"), [("un-xml", UN_FILE), ("ca-xml", CA_FILE)])
def test_a_utf16_file_is_refused(tmp_path, format_name, source):
    path = tmp_path / "utf16.xml"
    text = source.read_text(encoding="utf-8")[:5000].replace(
        'encoding="UTF-8"', 'encoding="UTF-16"'
    )
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(InvalidInput) as caught:
        read(path, format_name)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (f"{path}:1", "encoding")


@pytest.mark.parametrize(("format_name", "other"), [("un-xml", CA_FILE), ("ca-xml", UN_FILE)])
def test_the_other_publishers_file_is_refused(format_name, other):
    with pytest.raises(InvalidInput) as caught:
        read(other, format_name)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (str(other), "root")


def test_a_file_with_no_entries_is_refused(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text('<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="x"/>', "utf-8")
    with pytest.raises(InvalidInput) as caught:
        read(path)
    assert caught.value.errors[0].field == "INDIVIDUAL"
