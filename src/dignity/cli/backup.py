"""`dignity backup`: one archive file of the store (database and evidence blobs), and its restore.

Keys are left out unless `--include-keys` is given: the database and the blobs are readable only
with the key-encryption keys, so keys kept apart from backups mean one stolen backup reveals no
sealed field and no evidence. A backup without keys needs the key directory (and the audit
signing key) restored from wherever they are kept. See docs/backup.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dignity.audit import record_event
from dignity.cli.context import console, count, err_console, operator, state
from dignity.settings import Settings
from dignity.store import backup
from dignity.store.session import transaction

app = typer.Typer(
    help="Back up the store (database and evidence blobs) to one file, and restore it.",
    no_args_is_help=True,
)

BLOBS, KEK, SIGNING_KEY = "blobs", "keys/kek", "keys/audit-signing-key.pem"


def _places(settings: Settings) -> dict[str, Path]:
    """Where each tree of a backup lives: committed blobs only (`LocalBlobStore` keeps them under
    `blobs/`, apart from its `partial/` and `quarantine/`), the KEK files, the signing key."""
    return {
        BLOBS: settings.evidence_dir / "blobs",
        KEK: settings.key_dir,
        SIGNING_KEY: settings.signing_key_path,
    }


@app.command("create")
def create_command(
    out: Annotated[
        Path, typer.Argument(help="Backup file to write (must not exist).", dir_okay=False)
    ],
    include_keys: Annotated[
        bool,
        typer.Option(
            "--include-keys",
            help="Also store the encryption keys and the audit signing key (keep such a "
            "backup as safe as the keys themselves).",
        ),
    ] = False,
) -> None:
    """Write a consistent backup of the store and its evidence blobs to one file (mode 0600)."""
    places = _places(state.settings)
    trees = [backup.Tree(BLOBS, places[BLOBS])]
    if include_keys:
        trees += [backup.Tree(name, places[name], keys=True) for name in (KEK, SIGNING_KEY)]
    manifest = backup.create_backup(out, state.settings.sqlalchemy_url, trees)
    members = len(manifest.members)
    size = sum(int(entry["size"]) for entry in manifest.members.values())
    with transaction(state.sessionmaker) as session:
        record_event(
            session,
            actor=operator(),
            action="store.backed-up",
            object_type="store",
            object_id=manifest.revision or "",
            details={"members": members, "bytes": size, "keys": include_keys},
        )
    blobs = sum(1 for entry in manifest.members.values() if entry["tree"] == BLOBS)
    rows = sum(manifest.tables.values())
    console.print(
        f"backup written to {out}: {count(rows, 'row', 'rows')} in "
        f"{count(len(manifest.tables), 'table', 'tables')} ({manifest.dialect}, revision "
        f"{manifest.revision}), {count(blobs, 'evidence blob', 'evidence blobs')}, "
        f"{count(size, 'byte', 'bytes')}",
        markup=False,
    )
    if not include_keys:
        err_console.print(
            "keys are not in this backup: keep the key directory "
            f"({places[KEK]}) and the audit signing key backed up apart from it",
            markup=False,
        )


@app.command("restore")
def restore_command(
    archive: Annotated[
        Path,
        typer.Argument(metavar="IN", help="Backup file to restore.", exists=True, dir_okay=False),
    ],
    to_empty_store: Annotated[
        bool,
        typer.Option(
            "--to-empty-store",
            help="Required: confirms the target is a new, empty store (it is refused otherwise).",
        ),
    ] = False,
) -> None:
    """Check a backup and restore it into an empty store, then upgrade its schema if older."""
    if not to_empty_store:
        raise typer.BadParameter(
            "restore only writes into an empty store; say so with --to-empty-store",
            param_hint="--to-empty-store",
        )
    report = backup.restore_backup(archive, state.settings.sqlalchemy_url, _places(state.settings))
    manifest = report.manifest
    with transaction(state.sessionmaker) as session:
        record_event(
            session,
            actor=operator(),
            action="store.restored",
            object_type="store",
            object_id=report.revision or "",
            details={
                "backup_created_at": manifest.created_at,
                "backup_revision": manifest.revision,
                "keys": manifest.keys_included,
            },
        )
    upgraded = (
        f", upgraded from {manifest.revision}" if report.revision != manifest.revision else ""
    )
    console.print(
        f"restored {count(sum(manifest.tables.values()), 'row', 'rows')} in "
        f"{count(len(manifest.tables), 'table', 'tables')} and "
        f"{count(report.files.get(BLOBS, 0), 'evidence blob', 'evidence blobs')} "
        f"from the backup of {manifest.created_at}; store at revision {report.revision}{upgraded}",
        markup=False,
    )
    if report.keys_skipped:
        console.print("the keys in place are the backup's own; left as they were", markup=False)
    elif not manifest.keys_included:
        err_console.print(
            "this backup holds no keys: restore the key directory "
            f"({state.settings.key_dir}) and the audit signing key from where they are kept",
            markup=False,
        )
