"""`ofac-xml`: OFAC's SDN.XML schema (`sdnList`).

Real data: the verbatim excerpt of OFAC's consolidated.xml (2024-05-06, the SDN.XML schema, 35
of 443 entries) in ../shared/data/excerpts/ofac-sdn-xml; expected values are recounted from the
excerpt itself. Hostile XML is written into tmp_path by each test.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from dignity.sources import xmlsafe
from factories.sources import EXCERPTS, Read, read_by_id, refusal

EXCERPT = EXCERPTS / "ofac-sdn-xml/consolidated_excerpt.xml"
NS = "{https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML}"
NAME_PROPS = ("alias", "weakAlias", "previousName")


def read(path: Path) -> Read:
    return read_by_id("ofac-xml", path)


@pytest.fixture(scope="module")
def excerpt() -> Read:
    return read(EXCERPT)


@pytest.fixture(scope="module")
def entries() -> list[etree._Element]:
    return list(xmlsafe.parse(EXCERPT).iter(f"{NS}sdnEntry"))


def find(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.iter(f"{NS}{name}"))


def value(element: etree._Element, name: str) -> str:
    found = element.find(f"{NS}{name}")
    return " ".join((found.text or "").split()) if found is not None else ""


def test_entries_types_and_publish_date(excerpt: Read, entries: list[etree._Element]) -> None:
    report, entities = excerpt
    assert len(entries) == 35
    assert report.targets == 35
    assert report.publisher_date == "2024-05-06"
    types = Counter(value(e, "sdnType") for e in entries)
    assert types == {"Individual": 13, "Entity": 22}
    schemata = Counter(entities[f"ofac-{value(e, 'uid')}"].schema.name for e in entries)
    assert schemata["Person"] == 13
    assert schemata["Organization"] + schemata["Company"] == 22


def test_record_count_of_the_whole_file_is_warned_about(excerpt: Read) -> None:
    report, _entities = excerpt
    (warning,) = [w for w in report.warnings if w.field == "Record_Count"]
    assert "443" in warning.message
    assert "35" in warning.message


def test_programs(excerpt: Read, entries: list[etree._Element]) -> None:
    report, entities = excerpt
    expected = Counter(
        " ".join((p.text or "").split()) for e in entries for p in find(e, "program")
    )
    assert report.programs == expected
    rosoboron = {
        s.first("programId")
        for s in entities.values()
        if "ofac-18782" in s.get("entity", quiet=True)
    }
    assert rosoboron == {"SYRIA", "UKRAINE-EO13662", "RUSSIA-EO14024", "IRAN-CON-ARMS-EO"}


def test_every_aka_with_its_type_and_strength(excerpt: Read, entries: list[etree._Element]) -> None:
    _report, entities = excerpt
    count = 0
    for entry in entries:
        target = entities[f"ofac-{value(entry, 'uid')}"]
        for aka in find(entry, "aka"):
            count += 1
            name = ", ".join(v for v in (value(aka, "lastName"), value(aka, "firstName")) if v)
            kind, category = value(aka, "type"), value(aka, "category")
            prop = (
                "previousName"
                if kind == "f.k.a."
                else ("weakAlias" if category == "weak" else "alias")
            )
            assert name in target.get(prop), (target.id, name, prop)
    assert count == 109


def test_every_address_is_an_address_entity(excerpt: Read, entries: list[etree._Element]) -> None:
    _report, entities = excerpt
    addresses = [(value(e, "uid"), value(a, "uid")) for e in entries for a in find(e, "address")]
    assert len(addresses) == 47
    for uid, address_uid in addresses:
        assert f"ofac-{uid}-address-{address_uid}" in entities[f"ofac-{uid}"].get("addressEntity")


def test_ids_dates_and_places(excerpt: Read, entries: list[etree._Element]) -> None:
    _report, entities = excerpt
    assert sum(len(find(e, "id")) for e in entries) == 187
    with_dob = [value(e, "uid") for e in entries if find(e, "dateOfBirthItem")]
    with_pob = [value(e, "uid") for e in entries if find(e, "placeOfBirthItem")]
    assert (len(with_dob), len(with_pob)) == (11, 8)
    assert all(entities[f"ofac-{uid}"].get("birthDate") for uid in with_dob)
    assert all(entities[f"ofac-{uid}"].get("birthPlace") for uid in with_pob)


def test_kayakiran_passport_citizenship_gender(excerpt: Read) -> None:
    _report, entities = excerpt
    person = entities["ofac-26182"]
    assert person.get("name") == ["KAYAKIRAN, Evren"]
    assert person.get("passportNumber") == ["U00242309"]
    assert person.get("citizenship") == ["tr"]
    assert person.get("gender") == ["male"]
    passport = entities["ofac-26182-document-passport-u00242309"]
    assert passport.schema.name == "Passport"
    assert passport.get("country") == ["tr"]
    assert passport.get("holder") == ["ofac-26182"]


def test_zahhar_nationality_and_remarks(excerpt: Read) -> None:
    report, entities = excerpt
    zahhar = entities["ofac-9647"]
    assert zahhar.get("nationality") == ["ps"]
    assert zahhar.get("birthDate") == ["1945"]
    assert zahhar.get("notes") == ["(Linked To: HAMAS)"]
    # 6 of the 8 "Linked To" remarks name an entry that is not in the excerpt (test_ofac_links.py).
    assert report.unmapped["remarks:Linked To"] == 6


def test_bank_identifiers_and_directives(excerpt: Read) -> None:
    _report, entities = excerpt
    vtb = entities["ofac-17013"]
    assert vtb.schema.name == "Company"
    assert vtb.get("swiftBic") == ["VTBRRUMM"]
    assert vtb.get("leiCode") == ["253400V1H6ART1UQ0N98"]
    assert sorted(vtb.get("bikCode")) == ["044030707", "044525187"]
    assert vtb.get("incorporationDate") == ["1990-10-17"]
    provisions = entities["ofac-17013-sanction-ukraine-eo13662"].get("provisions")
    assert "Executive Order 13662 Directive Determination - Subject to Directive 1" in provisions


def test_nothing_unmapped_but_remark_text(excerpt: Read) -> None:
    report, _entities = excerpt
    assert set(report.unmapped) == {"remarks:Linked To", "remarks:text"}


def test_every_reference_resolves(excerpt: Read) -> None:
    _report, entities = excerpt
    for entity in entities.values():
        for prop in ("entity", "holder", "addressEntity"):
            for ref in entity.get(prop, quiet=True):
                assert ref in entities


# --- hostile XML ---------------------------------------------------------------------------

HEAD = b'<?xml version="1.0"?>\n'
ENTRY = b"<sdnEntry><uid>1</uid><lastName>&lol9;</lastName><sdnType>Entity</sdnType></sdnEntry>"
LAUGHS = (
    b'<!DOCTYPE sdnList [\n<!ENTITY lol0 "lol">\n'
    + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n'.encode() for i in range(1, 10))
    + b"]>\n"
)
HOSTILE = {
    "billion-laughs": HEAD + LAUGHS + b"<sdnList>" + ENTRY + b"</sdnList>",
    "external-entity": HEAD
    + b'<!DOCTYPE sdnList [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + b"<sdnList><sdnEntry><uid>1</uid><lastName>&xxe;</lastName></sdnEntry></sdnList>",
    "external-dtd": HEAD
    + b'<!DOCTYPE sdnList SYSTEM "http://example.invalid/sdn.dtd">\n<sdnList></sdnList>',
    "doctype-after-a-long-comment": HEAD
    + b"<!--"
    + b"x" * 70_000
    + b"-->\n<!DOCTYPE sdnList [<!ENTITY a 'b'>]>\n<sdnList/>",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_xml_attacks_are_refused_naming_the_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.xml"
    path.write_bytes(HOSTILE[kind])
    (error,) = refusal("ofac-xml", path)
    assert error.field == "DOCTYPE"
    assert error.location.startswith(str(path))


def test_a_doctype_in_utf16_is_refused(tmp_path: Path) -> None:
    """UTF-16 XML is refused before parsing: a byte scan could not see the DOCTYPE in it."""
    path = tmp_path / "utf16.xml"
    document = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE sdnList [<!ENTITY a "b">]>\n'
    document += "<sdnList><sdnEntry><uid>1</uid><lastName>&a;</lastName></sdnEntry></sdnList>"
    path.write_bytes(document.encode("utf-16"))
    errors = refusal("ofac-xml", path)
    assert errors[0].field == "encoding"
    assert str(path) in errors[0].location


def test_a_truncated_file_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    data = EXCERPT.read_bytes()
    path = tmp_path / "consolidated.xml"
    path.write_bytes(data[: len(data) // 2])
    (error,) = refusal("ofac-xml", path)
    assert error.field == "xml"
    line = int(error.location.rsplit(":", 1)[1])
    assert error.location == f"{path}:{line}"
    assert line > 1


def test_a_file_with_no_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(HEAD + b"<sdnList><publshInformation/></sdnList>")
    assert refusal("ofac-xml", path)[0].field == "sdnEntry"
