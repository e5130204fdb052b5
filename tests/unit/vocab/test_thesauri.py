"""The controlled vocabularies of the documentation core: content, hierarchy, labels, local terms.

The shipped files are read as they ship; local terms are written to a temporary directory, the way
an administrator would, and merged through `load_thesauri` (no global settings are touched).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dignity.exc import ConfigurationError
from dignity.settings import Settings
from dignity.vocab.thesauri import (
    INSTRUMENT_PATTERN,
    THESAURI_DIR,
    Thesaurus,
    all_thesauri,
    load_thesauri,
    term_problem,
    thesaurus,
)

REQUIRED = {
    "act": "types of acts",
    "method": "methods of violence",
    "violation": "violation types",
    "right": "rights affected",
    "involvement": "degrees of involvement",
    "perpetrator": "types of perpetrators",
    "reliability": "reliability",
    "connection": "source connection",
    "material": "types of source material",
    "location": "types of location",
    "date": "date precision",
    "sex": "sex",
    "unit": "counting units",
}

# Further micro-thesauri the documentation records draw on.
FOR_RECORDS = {
    "monitoring": "monitoring status",
    "progress": "status of progress",
    "link": "links between events",
    "occupation": "occupations",
    "outcome": "status at the end of the act",
    "legal": "legal status",
    "intervention": "types of intervention",
    "relation": "types of relationship",
    "count": "what is counted",
}
ALL = {**REQUIRED, **FOR_RECORDS}

# The violation types issue #7 names, each of which must exist by code.
NAMED_VIOLATIONS = [
    "violation.crsv",
    "violation.crsv.rape",
    "violation.crsv.sexual-slavery",
    "violation.enforced-disappearance",
    "violation.torture",
    "violation.arbitrary-detention",
    "violation.forced-labour",
    "violation.trafficking",
    "violation.transnational-repression",
    "violation.spyware",
    "violation.tech-abuse",
]

SHIPPED = load_thesauri()


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- what ships ------------------------------------------------------------------------------


def test_the_required_vocabularies_and_those_of_the_records_ship() -> None:
    assert set(SHIPPED) == set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_vocabulary_has_terms_and_an_english_title(name: str) -> None:
    found = SHIPPED[name]
    assert found.name == name
    assert len(found) >= 5
    assert ALL[name] in found.title_in("en").lower()


@pytest.mark.parametrize("code", NAMED_VIOLATIONS)
def test_the_violation_types_of_the_issue_are_present(code: str) -> None:
    assert code in SHIPPED["violation"]


@pytest.mark.parametrize(
    "code",
    [
        "act.killing",
        "act.deprivation-of-liberty.arrest",
        "method.electric",
        "method.positional.suspension",
        "involvement.command.ordered",
        "involvement.command.failed-to-prevent",
        "perpetrator.state.armed-forces",
        "perpetrator.non-state.armed-group",
        "reliability.high",
        "reliability.low",
        "connection.direct.victim",
        "connection.indirect.hearsay",
        "material.testimony",
        "material.digital.device-forensics",
        "location.detention.secret",
        "date.exact",
        "date.year",
        "date.unknown",
        "sex.female",
        "sex.male",
        "sex.unknown",
        "unit.person",
        "unit.household",
        "right.life",
        "right.integrity.torture",
        "monitoring.open",
        "legal.sanctioned",
        "relation.command",
        "count.killed",
    ],
)
def test_core_terms_of_each_vocabulary_are_present(code: str) -> None:
    assert code in SHIPPED[code.split(".")[0]]


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("language", ["en", "fr", "es", "ar"])
def test_every_top_level_term_and_title_is_translated(name: str, language: str) -> None:
    found = SHIPPED[name]
    assert language in found.title
    missing = [term.code for term in found.top() if language not in term.label]
    assert missing == []


def test_arabic_labels_are_in_arabic_script() -> None:
    for found in SHIPPED.values():
        for term in found.top():
            assert any("\u0600" <= char <= "\u06ff" for char in term.label["ar"]), term.code


def test_every_right_cites_the_articles_that_protect_it() -> None:
    uncited = [term.code for term in SHIPPED["right"] if not term.instruments]
    assert uncited == []
    assert "CAT 1" in SHIPPED["right"]["right.integrity.torture"].instruments
    assert "ICCPR 6" in SHIPPED["right"]["right.life"].instruments
    assert "UDHR 19" in SHIPPED["right"]["right.freedoms.expression"].instruments


def test_only_rights_cite_instruments_and_no_term_is_local() -> None:
    for name, found in SHIPPED.items():
        for term in found:
            assert not term.local, term.code
            if name != "right":
                assert term.instruments == (), term.code


@pytest.mark.parametrize("name", sorted(ALL))
def test_iteration_follows_the_file_order(name: str) -> None:
    raw = yaml.safe_load((THESAURI_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    assert [term.code for term in SHIPPED[name]] == list(raw["terms"])


# --- hierarchy -------------------------------------------------------------------------------


def test_the_broader_term_is_implied_by_the_code() -> None:
    violations = SHIPPED["violation"]
    assert violations["violation.crsv.rape"].broader == "violation.crsv"
    assert violations["violation.crsv"].broader is None
    assert violations["violation.crsv"].depth == 1
    assert violations["violation.crsv.rape"].depth == 2


def test_children_descendants_and_top() -> None:
    violations = SHIPPED["violation"]
    children = [term.code for term in violations.children("violation.crsv")]
    assert children[:2] == ["violation.crsv.rape", "violation.crsv.attempted-rape"]
    assert all(code.startswith("violation.crsv.") for code in children)
    assert violations.children("violation.crsv.rape") == []
    top = [term.code for term in violations.top()]
    assert top[0] == "violation.killing"
    assert "violation.crsv.rape" not in top
    under_state = [t.code for t in SHIPPED["perpetrator"].descendants("perpetrator.non-state")]
    assert "perpetrator.non-state.business.surveillance-vendor" in under_state
    assert "perpetrator.state.police" not in under_state


def test_ancestors_run_nearest_first() -> None:
    perpetrators = SHIPPED["perpetrator"]
    ancestors = perpetrators.ancestors("perpetrator.non-state.business.surveillance-vendor")
    assert [term.code for term in ancestors] == [
        "perpetrator.non-state.business",
        "perpetrator.non-state",
    ]
    assert perpetrators.ancestors("perpetrator.state") == []


def test_is_a_follows_the_hierarchy() -> None:
    violations = SHIPPED["violation"]
    assert violations.is_a("violation.crsv.rape", "violation.crsv")
    assert violations.is_a("violation.crsv", "violation.crsv")
    assert not violations.is_a("violation.crsv", "violation.crsv.rape")
    assert not violations.is_a("violation.torture.sexual", "violation.crsv")
    assert SHIPPED["perpetrator"].is_a(
        "perpetrator.non-state.business.security", "perpetrator.non-state"
    )


def test_an_unknown_code_is_an_error_not_a_no() -> None:
    violations = SHIPPED["violation"]
    with pytest.raises(KeyError, match=r"violation\.torchure"):
        violations.is_a("violation.torchure", "violation.torture")
    with pytest.raises(KeyError, match=r"violation\.nothing"):
        violations.is_a("violation.torture", "violation.nothing")
    with pytest.raises(KeyError, match="'violation' thesaurus"):
        violations.label("violation.nothing")
    assert violations.get("violation.nothing") is None


# --- labels ----------------------------------------------------------------------------------


def test_labels_fall_back_to_the_primary_language_then_english() -> None:
    violations = SHIPPED["violation"]
    assert violations.label("violation.torture") == "Torture"
    assert violations.label("violation.torture", "ar") == "التعذيب"
    assert violations.label("violation.enforced-disappearance", "es") == "Desaparición forzada"
    assert violations.label("violation.enforced-disappearance", "fr-CA") == "Disparition forcée"
    assert violations.label("violation.crsv.rape", "ar") == "Rape"
    assert violations.label("violation.torture", "sw") == "Torture"
    assert violations.title_in("ar") == "أنواع الانتهاكات"
    assert violations.title_in("sw") == "Violation types"


def test_descriptions_fall_back_and_may_be_absent() -> None:
    violations = SHIPPED["violation"]
    description = violations.describe("violation.enforced-disappearance", "fr")
    assert description is not None
    assert description.startswith("Deprivation of liberty")
    assert violations.describe("violation.crsv.rape") is None


# --- the cached accessors --------------------------------------------------------------------


def test_thesaurus_returns_the_cached_vocabulary() -> None:
    assert isinstance(thesaurus("violation"), Thesaurus)
    assert thesaurus("violation") is all_thesauri()["violation"]
    with pytest.raises(KeyError, match="no thesaurus 'weapons'"):
        thesaurus("weapons")


def test_term_problem_says_why_a_code_cannot_be_stored() -> None:
    assert term_problem("violation", "violation.crsv.rape") is None
    assert term_problem("violation", "violation.torchure") == (
        "not a term of the Violation types vocabulary (violation)"
    )
    assert term_problem("violation", "act.killing") is not None
    assert term_problem("weapon", "weapon.rifle") == "there is no 'weapon' vocabulary"


def test_the_setting_names_no_local_directory_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DIGNITY_VOCAB_LOCAL_DIR", raising=False)
    assert Settings().vocab_local_dir is None
    monkeypatch.setenv("DIGNITY_VOCAB_LOCAL_DIR", str(tmp_path))
    assert Settings().vocab_local_dir == tmp_path


# --- local terms -----------------------------------------------------------------------------

LOCAL = """\
terms:
  violation.crsv.forced-abortion:
    label: {en: Forced abortion, fr: Avortement forcé}
    description: Termination of a pregnancy without consent.
  violation.digital-repression:
    label: {en: Digital repression}
  violation.digital-repression.throttling:
    label: Throttling of connections in one region
  violation.torture:
    label: {sw: Mateso}
  right.freedoms.information:
    label: Access to information
    instruments: [ICCPR 19(2), ACHPR 9]
"""


def test_local_terms_are_merged_into_the_shipped_vocabularies(tmp_path: Path) -> None:
    _write(tmp_path / "local", "ngo.yaml", LOCAL)
    merged = load_thesauri(local_directory=tmp_path / "local")
    violations = merged["violation"]
    assert len(violations) == len(SHIPPED["violation"]) + 3
    added = violations["violation.crsv.forced-abortion"]
    assert added.local
    assert violations.is_a("violation.crsv.forced-abortion", "violation.crsv")
    assert violations.label("violation.crsv.forced-abortion", "fr") == "Avortement forcé"
    assert violations.describe("violation.crsv.forced-abortion") is not None
    assert "violation.crsv.forced-abortion" in [
        t.code for t in violations.children("violation.crsv")
    ]
    assert "violation.digital-repression" in [term.code for term in violations.top()]
    assert violations.is_a(
        "violation.digital-repression.throttling", "violation.digital-repression"
    )
    assert [term.code for term in violations][-3:] == [
        "violation.crsv.forced-abortion",
        "violation.digital-repression",
        "violation.digital-repression.throttling",
    ]
    assert merged["right"]["right.freedoms.information"].instruments == ("ICCPR 19(2)", "ACHPR 9")


def test_a_local_file_adds_labels_in_new_languages_only(tmp_path: Path) -> None:
    _write(tmp_path, "ngo.yaml", LOCAL)
    violations = load_thesauri(local_directory=tmp_path)["violation"]
    torture = violations["violation.torture"]
    assert violations.label("violation.torture", "sw") == "Mateso"
    assert violations.label("violation.torture") == "Torture"
    assert violations.label("violation.torture", "ar") == "التعذيب"
    assert not torture.local
    assert torture.description == SHIPPED["violation"]["violation.torture"].description
    # the relabelled term keeps its place in the hierarchy and in the order
    assert violations.codes()[: len(SHIPPED["violation"])] == SHIPPED["violation"].codes()
    assert violations["violation.torture.physical"] in violations.children("violation.torture")


def test_local_files_build_on_earlier_ones_in_name_order(tmp_path: Path) -> None:
    _write(tmp_path, "10-base.yaml", LOCAL)
    _write(
        tmp_path,
        "20-more.yml",
        "terms:\n"
        "  violation.digital-repression.throttling.mobile:\n    label: Mobile data only\n"
        "  violation.crsv.forced-abortion:\n    label: {ar: الإجهاض القسري}\n",
    )
    violations = load_thesauri(local_directory=tmp_path)["violation"]
    assert violations.is_a(
        "violation.digital-repression.throttling.mobile", "violation.digital-repression"
    )
    assert violations.label("violation.crsv.forced-abortion", "ar") == "الإجهاض القسري"


def test_an_empty_local_directory_changes_nothing(tmp_path: Path) -> None:
    merged = load_thesauri(local_directory=tmp_path)
    assert {name: found.codes() for name, found in merged.items()} == {
        name: found.codes() for name, found in SHIPPED.items()
    }


BAD_LOCAL_FILES = [
    pytest.param("terms: [unclosed\n", "not a readable YAML file", id="bad-yaml"),
    pytest.param("", "invalid local terms", id="empty-file"),
    pytest.param("- violation.x\n", "invalid local terms", id="not-a-mapping"),
    pytest.param("violation.x:\n  label: X\n", "terms", id="no-terms-key"),
    pytest.param(
        "terms:\n  violation.nowhere.else:\n    label: X\n",
        "'violation.nowhere.else': its broader term 'violation.nowhere' does not exist",
        id="unknown-parent",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: X\n  violation.x:\n    label: Y\n",
        "line 4: term 'violation.x' appears twice",
        id="duplicate-code-in-file",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label:\n      en: X\n      en: Y\n",
        "line 5: key 'en' appears twice",
        id="duplicate-language",
    ),
    pytest.param(
        "terms:\n  Violation.Torture-Cell:\n    label: X\n",
        "term 'Violation.Torture-Cell': a code is lowercase and dotted",
        id="uppercase-code",
    ),
    pytest.param(
        "terms:\n  torture:\n    label: X\n",
        "term 'torture': a code is lowercase and dotted",
        id="undotted-code",
    ),
    pytest.param(
        "terms:\n  violation..empty:\n    label: X\n",
        "term 'violation..empty': a code is lowercase and dotted",
        id="empty-segment",
    ),
    pytest.param(
        "terms:\n  violation.crsv rape:\n    label: X\n",
        "term 'violation.crsv rape': a code is lowercase and dotted",
        id="space-in-code",
    ),
    pytest.param(
        "terms:\n  12:\n    label: X\n",
        "term 12: a code is lowercase and dotted",
        id="number-as-code",
    ),
    pytest.param(
        "terms:\n  weapon.rifle:\n    label: Rifle\n",
        "term 'weapon.rifle': there is no 'weapon' thesaurus",
        id="unknown-thesaurus",
    ),
    pytest.param(
        "terms:\n  violation.torture:\n    label: Any severe pain\n",
        "term 'violation.torture' is already defined in",
        id="relabel-shipped-english",
    ),
    pytest.param(
        "terms:\n  violation.torture:\n    label: {ar: شيء آخر}\n",
        "already has a label in ar",
        id="relabel-shipped-arabic",
    ),
    pytest.param(
        "terms:\n  violation.torture:\n    label: {sw: Mateso}\n    description: Anything.\n",
        "term 'violation.torture' is already defined in",
        id="redescribe-shipped",
    ),
    pytest.param(
        "terms:\n  right.life:\n    label: {sw: Haki ya kuishi}\n    instruments: [ECHR 2]\n",
        "term 'right.life' is already defined in",
        id="re-cite-shipped-right",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: {fr: Seulement en français}\n",
        "term 'violation.x': a new term needs an English ('en') label",
        id="no-english-label",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: X\n    colour: red\n",
        "term 'violation.x': colour: Extra inputs are not permitted",
        id="unknown-field",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: {English: X}\n",
        "term 'violation.x': label: Value error, 'English' is not a language tag",
        id="bad-language-tag",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: {en: '  '}\n",
        "term 'violation.x': label: Value error, the 'en' text is empty",
        id="blank-label",
    ),
    pytest.param(
        "terms:\n  violation.x:\n    label: {}\n",
        "term 'violation.x': label:",
        id="no-label",
    ),
    pytest.param(
        "terms:\n  right.x:\n    label: X\n    instruments: [Article 7 of the ICCPR]\n",
        "term 'right.x': instruments: Value error, 'Article 7 of the ICCPR'",
        id="bad-instrument",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_LOCAL_FILES)
def test_a_bad_local_file_is_refused_naming_the_file_and_term(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, "ngo.yaml", text)
    with pytest.raises(ConfigurationError) as caught:
        load_thesauri(local_directory=tmp_path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_a_term_added_twice_by_two_local_files_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.yaml", "terms:\n  violation.x:\n    label: X\n")
    second = _write(tmp_path, "b.yaml", "terms:\n  violation.x:\n    label: X again\n")
    with pytest.raises(ConfigurationError) as caught:
        load_thesauri(local_directory=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{second}: term 'violation.x' is already defined in {first}")


def test_a_missing_local_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such directory of local terms"):
        load_thesauri(local_directory=tmp_path / "absent")


def test_a_refused_local_file_leaves_the_shipped_vocabularies_intact(tmp_path: Path) -> None:
    _write(tmp_path, "ngo.yaml", "terms:\n  violation.torture:\n    label: Other\n")
    with pytest.raises(ConfigurationError):
        load_thesauri(local_directory=tmp_path)
    assert load_thesauri()["violation"].label("violation.torture") == "Torture"


# --- shipped files are checked the same way --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "title: Weapons\nterms:\n  violation.x:\n    label: X\n",
            "term 'violation.x': codes in weapon.yaml start weapon.",
            id="code-outside-its-file",
        ),
        pytest.param(
            "title: {fr: Armes}\nterms:\n  weapon.x:\n    label: X\n",
            "an English title is required",
            id="no-english-title",
        ),
        pytest.param(
            "title: Weapons\nterms:\n  weapon.x.y:\n    label: Y\n",
            "term 'weapon.x.y': its broader term 'weapon.x' does not exist",
            id="orphan",
        ),
        pytest.param(
            "title: Weapons\nterms: {}\n",
            "invalid thesaurus",
            id="no-terms",
        ),
    ],
)
def test_a_bad_shipped_file_fails_at_load(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, "weapon.yaml", text)
    with pytest.raises(ConfigurationError) as caught:
        load_thesauri(tmp_path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_a_child_may_precede_its_parent_in_a_file(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "weapon.yaml",
        "title: Weapons\nterms:\n  weapon.gun.rifle:\n    label: Rifle\n  weapon.gun:\n"
        "    label: Gun\n",
    )
    weapons = load_thesauri(tmp_path)["weapon"]
    assert weapons.codes() == ["weapon.gun.rifle", "weapon.gun"]
    assert [term.code for term in weapons.children("weapon.gun")] == ["weapon.gun.rifle"]


def test_the_instrument_pattern_accepts_article_paragraphs() -> None:
    import re

    assert re.fullmatch(INSTRUMENT_PATTERN, "ICCPR 9(4)")
    assert re.fullmatch(INSTRUMENT_PATTERN, "ILO-C29 2")
    assert not re.fullmatch(INSTRUMENT_PATTERN, "iccpr 9")
