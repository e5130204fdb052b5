"""OFAC's labelled facts ("features") and the FollowTheMoney property each one goes to.

The same labels recur in every OFAC format: in the legacy CSV they open a fragment of the Remarks
field (`DOB 10 Dec 1948`, `Passport K754050 (Iran)`), in SDN.XML they are the `idType` of an
`idList` item, in the advanced XML they are the names of `FeatureType` and `IDRegDocType`
values. `apply_feature` takes a label and its value from any of them.

Kinds: `date`, `text`, `country`, `gender`, `id` (an identifier property), `imo`, `doc` (an
identity or registration document: a Passport / Identification entity and a number on the
target), `contact`, `provision` (sanction scope text, added to every Sanction of the entry),
`number`, `wallet` (a CryptoWallet entity), `alias`, `notes` (text for which FtM has only an
entity property, such as a vessel's owner, kept in `notes`), `link` (the name of another entry of
the file: an UnknownLink once the file is read, see `ofac_remarks.Links`) and `skip` (known, but no
property takes it: counted in `report.unmapped`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dignity.sources.formats.ofac_common import NULL_COUNTRIES, Target, clean_text, country_code


@dataclass(frozen=True)
class Spec:
    kind: str
    props: tuple[str, ...] = ()
    passport: bool = False


def _spec(kind: str, *props: str, passport: bool = False) -> Spec:
    return Spec(kind, props, passport)


_PASSPORT = _spec("doc", "passportNumber", "idNumber", passport=True)
NATIONAL_ID = _spec("doc", "idNumber")
_TAX = _spec("doc", "taxNumber")
_REGISTRATION = _spec("doc", "registrationNumber")
_LICENSE = _spec("doc", "licenseNumber")
PROVISION = _spec("provision")
LINK = _spec("link")
_SKIP = _spec("skip")
_PHONE = _spec("contact", "phone")

LABELS: dict[str, Spec] = {
    # persons
    "dob": _spec("date", "birthDate"),
    "birthdate": _spec("date", "birthDate"),
    "pob": _spec("text", "birthPlace"),
    "place of birth": _spec("text", "birthPlace"),
    "nationality": _spec("country", "nationality", "country"),
    "nationality country": _spec("country", "nationality", "country"),
    "citizen": _spec("country", "citizenship", "country"),
    "citizenship country": _spec("country", "citizenship", "country"),
    "citizenship": _spec("country", "citizenship", "country"),
    "gender": _spec("gender", "gender"),
    "title": _spec("text", "position"),
    "ethnicity": _spec("text", "ethnicity"),
    # organisations
    "nationality of registration": _spec("country", "jurisdiction", "country"),
    "organization established date": _spec("date", "incorporationDate"),
    "organization type": _spec("text", "sector"),
    "target type": _spec("text", "classification"),
    "issuer name": _spec("alias", "alias"),
    "swift/bic": _spec("id", "swiftBic"),
    "bik (ru)": _spec("id", "bikCode"),
    "isin": _spec("id", "isinCode"),
    "equity ticker": _spec("id", "ticker"),
    "legal entity number": _spec("id", "leiCode"),
    "d-u-n-s number": _spec("id", "dunsCode"),
    "unified social credit code (uscc)": _spec("doc", "uscCode", "registrationNumber"),
    "united social credit code certificate (usccc)": _spec("doc", "uscCode", "registrationNumber"),
    # contact
    "website": _spec("contact", "website"),
    "email address": _spec("contact", "email"),
    "email": _spec("contact", "email"),
    "phone number": _PHONE,
    "phone no.": _PHONE,
    "phone": _PHONE,
    "telephone": _PHONE,
    "telephone no.": _PHONE,
    "telephone number": _PHONE,
    "fax": _PHONE,
    "fax no.": _PHONE,
    # vessels
    "vessel registration identification": _spec("id", "registrationNumber"),
    "international maritime organization no.": _spec("imo", "imoNumber"),
    "imo": _spec("imo", "imoNumber"),
    "mmsi": _spec("id", "mmsi"),
    "vessel call sign": _spec("id", "callSign"),
    "other vessel call sign": _spec("id", "callSign"),
    "vessel flag": _spec("country", "flag"),
    "other vessel flag": _spec("country", "flag"),
    "former vessel flag": _spec("country", "pastFlags"),
    "vessel type": _spec("text", "type"),
    "other vessel type": _spec("text", "type"),
    "vessel year of build": _spec("date", "buildDate"),
    "vessel tonnage": _spec("number", "tonnage"),
    "vessel gross registered tonnage": _spec("number", "grossRegisteredTonnage"),
    "vessel owner": _spec("notes"),
    # aircraft
    "aircraft construction number (also called l/n or s/n or f/n)": _spec("id", "serialNumber"),
    "aircraft manufacturer's serial number (msn)": _spec("id", "serialNumber"),
    "aircraft serial identification": _spec("id", "serialNumber"),
    "aircraft manufacture date": _spec("date", "buildDate"),
    "aircraft model": _spec("text", "model"),
    "aircraft tail number": _spec("id", "registrationNumber"),
    "previous aircraft tail number": _spec("id", "registrationNumber"),
    "aircraft operator": _spec("notes"),
    "aircraft mode s transponder code": _SKIP,
    # sanction scope
    "secondary sanctions risk": PROVISION,
    "additional sanctions information": PROVISION,
    "transactions prohibited for persons owned or controlled by u.s. financial institutions": (
        PROVISION
    ),
    "caatsa section 235 information": PROVISION,
    "ifca determination": PROVISION,
    "executive order 13662 directive determination": PROVISION,
    "executive order 13846 information": PROVISION,
    "executive order 14014 directive information": PROVISION,
    "executive order 14024 directive information": PROVISION,
    "for more information on directives, please visit the following link": PROVISION,
    "purchase/sales for divestment date (cmic)": PROVISION,
    "listing date": PROVISION,
    "effective date": PROVISION,
    "digital currency address": _spec("wallet"),
    # another entry of the same file, by its name
    "linked to": LINK,
    # known, with no property
    "chinese commercial code": _SKIP,
    "arrested": _SKIP,
    # identity documents
    "passport": _PASSPORT,
    "passport no.": _PASSPORT,
    "passport booklet": _PASSPORT,
    "diplomatic passport": _PASSPORT,
    "british national overseas passport": _PASSPORT,
    "stateless person passport": _PASSPORT,
    "u.s.a. passport": _PASSPORT,
    "ssn": _spec("doc", "socialSecurityNumber", "idNumber"),
    "v.a.t. number": _spec("doc", "vatCode", "taxNumber"),
}
for _label in (
    "tax id no.",
    "r.f.c.",
    "r.f.c. #",
    "rfc",
    "nit #",
    "ruc #",
    "rif #",
    "us fein",
    "italian fiscal code",
    "c.u.i.t.",
    "c.i.f.",
    "n.i.f.",
    "fiscal code",
    "rtn",
    "numero unico de identificacao tributaria (nuit)",
    "paraguayan tax identification number",
    "romanian tax registration",
    "rsin",
):
    LABELS[_label] = _TAX
for _label in (
    "registration number",
    "registration id",
    "business registration number",
    "company number",
    "uk company number",
    "commercial registry number",
    "c.r. no.",
    "chamber of commerce number",
    "istanbul chamber of comm. no.",
    "economic register number (cbls)",
    "central registration system number",
    "public registration number",
    "business number",
    "enterprise number",
    "branch unit number",
    "certificate of incorporation number",
    "folio mercantil no.",
    "matricula mercantil no",
    "matricula mercantil no.",
    "business registration document #",
    "government gazette number",
    "registered charity no.",
    "romanian c.r.",
    "dubai chamber of commerce membership no.",
    "le number",
    "organization code",
    "registration certificate number (dubai)",
    "c.i.n.",
    "trademark number",
    "file number",
    "company id",
):
    LABELS[_label] = _REGISTRATION
for _label in (
    "license",
    "trade license no.",
    "tourism license no.",
    "permit number",
    "sre permit no.",
    "afghan money service provider license number",
    "msb registration number",
):
    LABELS[_label] = _LICENSE
for _label in (
    "national id no.",
    "cedula no.",
    "d.n.i.",
    "c.u.r.p.",
    "c.u.r.p. #",
    "c.u.i.p.",
    "c.u.i.",
    "i.f.e.",
    "identification number",
    "personal id card",
    "credencial electoral",
    "electoral registry no.",
    "cartilla de servicio militar nacional",
    "birth certificate number",
    "national foreign id number",
    "residency number",
    "turkish identification number",
    "numero de identidad",
    "citizen's card number",
    "kenyan id no.",
    "bosnian personal id no.",
    "moroccan personal id no.",
    "tazkira national id card",
    "refugee id card",
    "visanumberid",
    "immigration no.",
    "uae identification",
    "n.i.e.",
    "cnp (personal numerical code)",
    "military registration number",
    "seafarer's identification document",
    "travel document number",
    "stateless person id card",
    "public security and immigration no.",
    "serial no.",
    "romanian permanent resident",
    "tarjeta profesional",
    "driver's license no.",
    "pilot license number",
    "temporary suspension of deportation no.",
):
    LABELS[_label] = NATIONAL_ID

# Labels that OFAC numbers or qualifies (`Listing Date (EO 14024 Directive 2):`).
PROVISION_PREFIXES = ("listing date (", "effective date (", "executive order ")
_COMPANY_TYPES = {"private company", "state-owned enterprise"}
_COMPANY_LABELS = {"isin", "equity ticker", "bik (ru)", "issuer name"}
_IMO = re.compile(r"(?:IMO)?\s*\(?(\d{7})\)?", re.IGNORECASE)
_EXPIRES = re.compile(r",? expires? (?P<date>[^()]+)$", re.IGNORECASE)
_ISSUED = re.compile(r",? issued (?P<date>[^()]+)$", re.IGNORECASE)
_COUNTRY = re.compile(r" \((?P<country>[^()]+)\)$")


def normalise(label: str) -> str:
    """`Secondary sanctions risk:` and `Executive Order ... -` -> lower case, no tail marks."""
    return clean_text(label).lower().rstrip(" :-")


def lookup(label: str) -> Spec | None:
    key = normalise(label)
    spec = LABELS.get(key)
    if spec is None and key.startswith(PROVISION_PREFIXES):
        return PROVISION
    if spec is None and key.startswith("digital currency address"):
        return LABELS["digital currency address"]
    return spec


def company_hint(label: str, value: str) -> bool:
    """Whether a fact says the organisation is a company (securities, a bank code, its type)."""
    key = normalise(label)
    if key in _COMPANY_LABELS:
        return True
    return key == "target type" and clean_text(value).lower() in _COMPANY_TYPES


@dataclass
class Fact:
    """One labelled value, as the reader found it."""

    label: str
    value: str
    field: str
    text: str = ""  # the fact as written, for provisions and notes
    country: str | None = None
    issued: str | None = None
    expires: str | None = None
    authority: str | None = None
    note: str | None = None
    from_remarks: bool = False  # CSV remarks: already in notes; country and dates in the text


def apply_feature(target: Target, fact: Fact, default: Spec | None = None) -> None:
    """Put one fact on the target; what no property takes is counted in `report.unmapped`."""
    spec = lookup(fact.label) or default
    value = clean_text(fact.value)
    # A link needs the whole file (`ofac_remarks.Links`); one that reaches here is not carried.
    if spec is None or spec.kind in ("skip", "link") or (not value and spec.kind != "provision"):
        if value and not fact.from_remarks and (spec is None or spec.kind == "link"):
            target.put("notes", f"{clean_text(fact.label).rstrip(' :-')}: {value}", fact.field)
        target.unmapped(fact.field)
        return
    _HANDLERS[spec.kind](target, fact, spec, value)


def split_document(value: str) -> tuple[str, str | None, str | None, str | None]:
    """`K754050 (Iran) issued 26 May 1999 expires 25 May 2004` -> number, country, dates.

    A bracket that is not a country stays in the number (`HRA 738077 (Stuttgart)`).
    """
    text = clean_text(value)
    expires = issued = country = None
    match = _EXPIRES.search(text)
    if match:
        expires, text = match.group("date"), text[: match.start()]
    match = _ISSUED.search(text)
    if match:
        issued, text = match.group("date"), text[: match.start()]
    match = _COUNTRY.search(text)
    if match and country_code(match.group("country")):
        country, text = match.group("country"), text[: match.start()]
    return text.strip(" ,"), country, issued, expires


def _prop(target: Target, spec: Spec) -> str | None:
    """The first of the spec's properties that the target's schema has."""
    for prop in spec.props:
        if target.entity.schema.get(prop) is not None:
            return prop
    return None


def _put(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    prop = _prop(target, spec)
    if prop is None:
        target.unmapped(fact.field)
    else:
        target.put(prop, value, fact.field)


def _date(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    prop = _prop(target, spec)
    if prop is None:
        target.unmapped(fact.field)
    else:
        target.put_dates(prop, value, fact.field)


def _country(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    if value.lower() not in NULL_COUNTRIES:
        _put(target, fact, spec, value)


def _number(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    _put(target, fact, spec, value.replace(",", ""))


def _gender(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    _put(target, fact, spec, value.lower())


def _imo(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    match = _IMO.fullmatch(value)
    if match is None:
        target.warn(fact.field, f"{value!r} is not an IMO number; left out")
    else:
        _put(target, fact, LABELS["imo"], f"IMO{match.group(1)}")


def _id(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    """An identifier property; one its format refuses (an LEI with a bad check digit) is kept
    as `idNumber` with a warning, since a screening match on it is still worth having."""
    if fact.from_remarks:
        value = split_document(value)[0]
    if value.upper().startswith("IMO") and _IMO.fullmatch(value):
        _imo(target, fact, spec, value)
        return
    prop = _prop(target, spec)
    if prop is None:
        target.unmapped(fact.field)
    elif not target.put(prop, value, fact.field, quiet=True):
        kept = target.put("idNumber", value, fact.field, quiet=True)
        where = "kept as idNumber" if kept else "left out"
        target.warn(fact.field, f"{value!r} is not a valid {prop}; {where}")


def _contact(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    prop = _prop(target, spec)
    if prop is None:
        target.unmapped(fact.field)
    elif prop != "phone":
        target.put(prop, value, fact.field)
    else:
        # OFAC writes numbers without their `+`; one FtM cannot read is counted, not warned.
        digits = "+" + re.sub(r"\D", "", value).lstrip("0")
        if not any(target.put(prop, v, fact.field, quiet=True) for v in (value, digits)):
            target.unmapped(fact.field)


def _provision(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    text = clean_text(fact.text) or f"{clean_text(fact.label)} {value}".strip()
    if text not in target.provisions:
        target.provisions.append(text)


def _alias(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    target.name("alias", value, fact.field)


def _notes(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    if not fact.from_remarks:
        target.put("notes", f"{clean_text(fact.label).rstrip(' :-')}: {value}", fact.field)


def _wallet(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    """`Digital Currency Address - XBT 12Qt...`: a CryptoWallet held by the target."""
    currency = normalise(fact.label).rsplit("-", 1)[-1].strip().upper()
    if currency == "DIGITAL CURRENCY ADDRESS":
        currency = ""
    parts = value.lstrip("- ").split()
    if not currency and len(parts) == 2:
        currency, address = parts
    elif currency and len(parts) == 1:
        address = parts[0]
    else:
        target.warn(fact.field, f"{value!r} is not a currency and an address; left out")
        return
    wallet = target.child("CryptoWallet", "wallet", currency, address)
    wallet.add("holder", target.entity.id)
    target.put("currencySymbol", currency, fact.field, entity=wallet)
    target.put("cryptoAddress", address, fact.field, entity=wallet)


def _doc(target: Target, fact: Fact, spec: Spec, value: str) -> None:
    """A document of the target: a Passport / Identification entity and its number."""
    if value.upper().startswith("IMO") and _IMO.fullmatch(value):
        _imo(target, fact, spec, value)
        return
    number, country, issued, expires = value, fact.country, fact.issued, fact.expires
    if fact.from_remarks:
        number, country, issued, expires = split_document(value)
    if not target.is_a("LegalEntity"):  # a vessel's registration number, say
        _put(target, fact, spec, number)
        return
    label = clean_text(fact.label).rstrip(" :-")
    target.document(
        label,
        number,
        fact.field,
        passport=spec.passport,
        country=country,
        issued=issued,
        expires=expires,
        authority=fact.authority,
        note=fact.note,
    )
    prop = _prop(target, spec)
    if prop is not None and not target.put(prop, number, fact.field, quiet=True):
        target.put("idNumber", number, fact.field, quiet=True)


_HANDLERS = {
    "date": _date,
    "text": _put,
    "country": _country,
    "gender": _gender,
    "number": _number,
    "id": _id,
    "imo": _imo,
    "doc": _doc,
    "contact": _contact,
    "provision": _provision,
    "alias": _alias,
    "notes": _notes,
    "wallet": _wallet,
}
