"""`dignity sources manual`: lists of designations typed in by hand, such as 7031(c) designations.

Each command that changes a designation writes an audit event and makes the list's next version.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer

from dignity.cli.context import console, operator, state
from dignity.exc import InvalidInput
from dignity.registry import manual
from dignity.registry.models import ManualDesignation
from dignity.store.session import transaction, write_transaction

app = typer.Typer(
    help="Manual lists: designations no machine-readable list carries (7031(c), ...).",
    no_args_is_help=True,
)

ListArg = Annotated[str, typer.Argument(help="Name of the manual list.")]
IdArg = Annotated[str, typer.Argument(help="Id of the designation (see `list`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
RevisionOpt = Annotated[
    int | None,
    typer.Option("--revision", help="Refuse the change if the designation is no longer at it."),
]
Text = str | None
Texts = list[str] | None


def _opt(flag: str, text: str) -> Any:
    return typer.Option(flag, help=text)


# The options that set a designation's fields: (field, flag, help). Repeatable ones fill lists.
FIELD_OPTIONS = {
    "schema": ("--schema", "Kind of target: Person, Organization, Company, LegalEntity, ..."),
    "name": ("--name", "Name of the designated person or entity, as the publisher writes it."),
    "aliases": ("--alias", "Another name (repeatable)."),
    "birth_date": ("--birth-date", "Date of birth: YYYY-MM-DD, YYYY-MM or YYYY (people only)."),
    "nationality": ("--nationality", "Nationality, a country name or code (repeatable)."),
    "country": ("--country", "A country linked to the target, name or code (repeatable)."),
    "position": ("--position", "Office named in the designation (people only)."),
    "identifiers": ("--identifier", "Identity number; IMO number of a vessel (repeatable)."),
    "program": ("--program", "Program code, such as 7031C."),
    "authority": ("--authority", "Who designated (default: the publisher's authority)."),
    "reason": ("--reason", "The grounds the publisher states."),
    "source_url": ("--source-url", "Address of the published designation (http or https)."),
    "source_date": ("--source-date", "Date the designation was published, YYYY-MM-DD."),
    "listing_date": ("--listing-date", "Date it took effect, if not the date published."),
}


def _show(designation: ManualDesignation) -> dict[str, Any]:
    return {
        "id": designation.id,
        "entity_id": manual.entity_id_of(designation),
        **{name: getattr(designation, name) for name in manual.FIELDS},
        "revision": designation.revision,
        "retired": designation.retired,
        "retired_reason": designation.retired_reason,
    }


def _report(verb: str, change: manual.ManualChange, as_json: bool) -> None:
    designation = change.designation
    version = change.version.seq if change.version else None
    if as_json:
        console.print_json(json.dumps({"designation": _show(designation), "version": version}))
        return
    made = f"version {version}" if version else "no new version (nothing changed)"
    console.print(
        f"{designation.list_id}: {verb} {designation.name} ({designation.id}); {made}",
        markup=False,
    )


@app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="List name: lowercase letters, digits and _.")],
    title: Annotated[str, typer.Option("--title", help="Title of the list.")],
    publisher: Annotated[
        str, typer.Option("--publisher", help="Publisher code, such as us-state.")
    ],
    url: Annotated[str, typer.Option("--url", help="The publisher's page, if any.")] = "",
) -> None:
    """Create an empty manual list (its first version comes with its first designation)."""
    with write_transaction(state.sessionmaker) as session:
        source = manual.create_manual_list(
            session, name=name, title=title, publisher=publisher, source_url=url, actor=operator()
        )
    console.print(f"created manual list {source.id}", markup=False)


@app.command("add")
def add_command(
    list_id: ListArg,
    name: Annotated[str, _opt(*FIELD_OPTIONS["name"])],
    program: Annotated[str, _opt(*FIELD_OPTIONS["program"])],
    source_url: Annotated[str, _opt(*FIELD_OPTIONS["source_url"])],
    source_date: Annotated[str, _opt(*FIELD_OPTIONS["source_date"])],
    schema: Annotated[str, _opt(*FIELD_OPTIONS["schema"])] = "Person",
    alias: Annotated[Texts, _opt(*FIELD_OPTIONS["aliases"])] = None,
    birth_date: Annotated[str, _opt(*FIELD_OPTIONS["birth_date"])] = "",
    nationality: Annotated[Texts, _opt(*FIELD_OPTIONS["nationality"])] = None,
    country: Annotated[Texts, _opt(*FIELD_OPTIONS["country"])] = None,
    position: Annotated[str, _opt(*FIELD_OPTIONS["position"])] = "",
    identifier: Annotated[Texts, _opt(*FIELD_OPTIONS["identifiers"])] = None,
    authority: Annotated[str, _opt(*FIELD_OPTIONS["authority"])] = "",
    reason: Annotated[str, _opt(*FIELD_OPTIONS["reason"])] = "",
    listing_date: Annotated[str, _opt(*FIELD_OPTIONS["listing_date"])] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add a designation, citing where and when it was published; makes the next version."""
    data = manual.DesignationInput(
        schema=schema,
        name=name,
        aliases=tuple(alias or ()),
        birth_date=birth_date,
        nationality=tuple(nationality or ()),
        country=tuple(country or ()),
        position=position,
        identifiers=tuple(identifier or ()),
        program=program,
        authority=authority,
        reason=reason,
        source_url=source_url,
        source_date=source_date,
        listing_date=listing_date,
    )
    with write_transaction(state.sessionmaker) as session:
        change = manual.add_designation(session, list_id, data, actor=operator())
        _report("added", change, as_json)


@app.command("edit")
def edit_command(
    list_id: ListArg,
    designation_id: IdArg,
    schema: Annotated[Text, _opt(*FIELD_OPTIONS["schema"])] = None,
    name: Annotated[Text, _opt(*FIELD_OPTIONS["name"])] = None,
    alias: Annotated[Texts, _opt(*FIELD_OPTIONS["aliases"])] = None,
    birth_date: Annotated[Text, _opt(*FIELD_OPTIONS["birth_date"])] = None,
    nationality: Annotated[Texts, _opt(*FIELD_OPTIONS["nationality"])] = None,
    country: Annotated[Texts, _opt(*FIELD_OPTIONS["country"])] = None,
    position: Annotated[Text, _opt(*FIELD_OPTIONS["position"])] = None,
    identifier: Annotated[Texts, _opt(*FIELD_OPTIONS["identifiers"])] = None,
    program: Annotated[Text, _opt(*FIELD_OPTIONS["program"])] = None,
    authority: Annotated[Text, _opt(*FIELD_OPTIONS["authority"])] = None,
    reason: Annotated[Text, _opt(*FIELD_OPTIONS["reason"])] = None,
    source_url: Annotated[Text, _opt(*FIELD_OPTIONS["source_url"])] = None,
    source_date: Annotated[Text, _opt(*FIELD_OPTIONS["source_date"])] = None,
    listing_date: Annotated[Text, _opt(*FIELD_OPTIONS["listing_date"])] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help="Empty a field, by its name (birth_date, aliases, ...)."),
    ] = None,
    revision: RevisionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a designation's fields; a repeatable option replaces all of that field's values."""
    given: dict[str, Any] = {
        "schema": schema,
        "name": name,
        "aliases": alias,
        "birth_date": birth_date,
        "nationality": nationality,
        "country": country,
        "position": position,
        "identifiers": identifier,
        "program": program,
        "authority": authority,
        "reason": reason,
        "source_url": source_url,
        "source_date": source_date,
        "listing_date": listing_date,
    }
    for field in clear or ():
        if field not in manual.FIELDS:
            known = ", ".join(manual.FIELDS)
            raise InvalidInput(f"no field {field!r} to clear; fields: {known}")
        given[field] = ()
    changes: dict[str, Any] = {
        name: tuple(value) if name in manual.LIST_FIELDS else (value or "")
        for name, value in given.items()
        if value is not None
    }
    with write_transaction(state.sessionmaker) as session:
        current = manual.input_of(manual.get_designation(session, list_id, designation_id))
        data = dataclasses.replace(current, **changes)
        change = manual.edit_designation(
            session, list_id, designation_id, data, actor=operator(), revision=revision
        )
        _report("edited", change, as_json)


@app.command("retire")
def retire_command(
    list_id: ListArg,
    designation_id: IdArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why: revoked, expired, entered by mistake...")
    ],
    revision: RevisionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a designation off its list, keeping it on record; makes the next version."""
    with write_transaction(state.sessionmaker) as session:
        change = manual.retire_designation(
            session, list_id, designation_id, reason=reason, actor=operator(), revision=revision
        )
        _report("retired", change, as_json)


@app.command("list")
def list_command(
    list_id: ListArg,
    include_retired: Annotated[
        bool, typer.Option("--all", help="Include retired designations.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a manual list's designations: id, name, program, date published, source."""
    with transaction(state.sessionmaker) as session:
        found = manual.list_designations(session, list_id, include_retired=include_retired)
        rows = [_show(d) for d in found]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    for row in rows:
        retired = "\tretired" if row["retired"] else ""
        console.print(
            f"{row['id']}\t{row['name']}\t{row['program']}\t{row['source_date']}\t"
            f"{row['source_url']}{retired}",
            markup=False,
        )
