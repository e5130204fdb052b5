"""Backups of a whole store: one archive file holding the database, file trees and a manifest.

A backup is an uncompressed tar file (its largest members, evidence blobs, are ciphertext and do
not compress) written atomically: a temporary file beside the target, fsynced, renamed, and the
directory fsynced; mode 0600. Its members:

    database/dignity.sqlite    SQLite: a snapshot taken with the online backup API
    database/dignity.pgdump    PostgreSQL: `pg_dump --format=custom`
    <tree>/<relative path>     each file of each directory tree the caller names (e.g. `blobs`)
    <tree>                     a single file the caller names (e.g. a key file)
    manifest.json              last: format, time, version, Alembic revision, row counts of every
                               table, and the SHA-256 and size of every other member

The database snapshot is consistent while the application keeps writing: SQLite's backup API
copies one read transaction; on PostgreSQL the row counts are taken in a REPEATABLE READ
transaction whose snapshot `pg_dump --snapshot` then dumps, so the counts describe the dump exactly.

Restoring checks every member against the manifest before anything is written (a damaged backup
is refused, naming the member), refuses a store that already has tables and trees that already
hold files, restores the database and the trees, checks the restored row counts against the
manifest, and then upgrades the schema with Alembic when the backup is older than this code.

This module knows nothing of what the trees hold: callers (the CLI) pass their paths in.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, make_url

import dignity
from dignity.exc import ConfigurationError, Conflict, IntegrityError, StoreError
from dignity.store import migrate
from dignity.store.engine import create_engine
from dignity.store.files import fsync_directory
from dignity.store.types import utcnow

FORMAT = "dignity-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/dignity.sqlite", "postgresql": "database/dignity.pgdump"}
BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Tree:
    """Files to back up: a directory (every regular file under it) or one file, as member `name`.

    `keys` marks key material, which a restore only writes where no other key is kept.
    """

    name: str
    path: Path
    keys: bool = False


@dataclass
class Manifest:
    created_at: str
    version: str
    dialect: str
    revision: str | None
    tables: dict[str, int]
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> sha256, size, tree
    trees: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> kind, keys

    @property
    def keys_included(self) -> bool:
        return any(tree["keys"] for tree in self.trees.values())

    def to_json(self) -> bytes:
        body = {"format": FORMAT, **self.__dict__}
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body.pop("format") != FORMAT:
                raise IntegrityError(f"not a backup of this format (expected {FORMAT})")
            manifest = cls(**body)
            for entry in manifest.members.values():
                str(entry["sha256"]), int(entry["size"]), str(entry["tree"])
            for tree in manifest.trees.values():
                str(tree["kind"]), bool(tree["keys"])
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise IntegrityError(f"the backup's {MANIFEST} is damaged ({error})") from None
        return manifest


# ---- the database -----------------------------------------------------------------------------


def count_rows(connection: Connection) -> dict[str, int]:
    """The number of rows in every table of the connection's database."""
    count = sa.select(sa.func.count())
    return {
        name: int(connection.execute(count.select_from(sa.table(name))).scalar_one())
        for name in sorted(sa.inspect(connection).get_table_names())
    }


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it, and an environment carrying the password (never on argv)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(False), env


def _run(tool: str, arguments: list[str], env: dict[str, str]) -> None:
    program = shutil.which(tool)
    if program is None:
        raise ConfigurationError(
            f"{tool} is not installed: PostgreSQL backups need the client tools "
            "(Debian package postgresql-client, of the server's major version)"
        )
    # The program comes from shutil.which and the arguments are ours; no shell is involved.
    done = subprocess.run([program, *arguments], env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise StoreError(f"{tool} failed: {last}")


def _copy_sqlite(source_path: str | Path, target_path: str | Path) -> None:
    source = sqlite3.connect(source_path)
    try:
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # pages=-1: one step, so one read transaction
        finally:
            target.close()
    finally:
        source.close()


def _snapshot(url: str, target: Path) -> tuple[str, dict[str, int], str | None]:
    """Copy the database to `target`: its dialect, and the row counts and revision of the copy."""
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "sqlite":
        _copy_sqlite(parsed.database or "", target)
        check = sqlite3.connect(target)
        try:
            result = check.execute("PRAGMA integrity_check").fetchone()
        finally:
            check.close()
        if result is None or result[0] != "ok":
            raise IntegrityError(f"the copy of the database failed its integrity check: {result}")
        url, isolation = f"sqlite:///{target}", "SERIALIZABLE"
    elif dialect != "postgresql":
        raise ConfigurationError(f"cannot back up a {dialect!r} store: use sqlite or postgresql")
    else:
        isolation = "REPEATABLE READ"
    engine = create_engine(url)
    try:
        with engine.connect() as plain:
            connection = plain.execution_options(isolation_level=isolation)
            with connection.begin():
                if dialect == "postgresql":
                    name = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                tables = count_rows(connection)
                revision = (
                    migrate.current_revision(connection) if "alembic_version" in tables else None
                )
                if dialect == "postgresql":  # dump what this transaction sees, while it is open
                    uri, env = _libpq(parsed)
                    options = ["--format=custom", f"--snapshot={name}", "--file", str(target)]
                    _run("pg_dump", [*options, "--dbname", uri], env)
    finally:
        engine.dispose()
    return dialect, tables, revision


def _table_names(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _load(dialect: str, copy: Path, url: str) -> None:
    """Load a copy made by `_snapshot` into the empty database at `url`."""
    if dialect == "sqlite":
        _copy_sqlite(copy, make_url(url).database or "")
        return
    uri, env = _libpq(make_url(url))
    options = ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*options, "--dbname", uri, str(copy)], env)


# ---- creating ---------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile, hashing exactly the bytes that go into the archive."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_file(
    archive: tarfile.TarFile, manifest: Manifest, name: str, path: Path, tree: str
) -> None:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = stat.st_size, 0o600, int(stat.st_mtime)
        reader = _HashingReader(handle)
        archive.addfile(info, reader)
    manifest.members[name] = {
        "sha256": reader.digest.hexdigest(),
        "size": reader.size,
        "tree": tree,
    }


def create_backup(out: Path, url: str, trees: Sequence[Tree]) -> Manifest:
    """Write a backup of the store at `url` and the `trees` to the new file `out`."""
    if out.exists():
        raise Conflict(f"{out} exists already; a backup never overwrites a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".dignity-backup-") as work:
        snapshot = Path(work) / "database"
        dialect, tables, revision = _snapshot(url, snapshot)
        if revision is None:
            raise ConfigurationError("the store has no schema to back up; run `dignity db upgrade`")
        manifest = Manifest(utcnow().isoformat(), dignity.__version__, dialect, revision, tables)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as archive:
                    _add_file(archive, manifest, DATABASE_MEMBERS[dialect], snapshot, "database")
                    for tree in trees:
                        _add_tree(archive, manifest, tree)
                    info = tarfile.TarInfo(MANIFEST)
                    data = manifest.to_json()
                    info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
                    archive.addfile(info, io.BytesIO(data))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, out)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    fsync_directory(out.parent)
    return manifest


def _add_tree(archive: tarfile.TarFile, manifest: Manifest, tree: Tree) -> None:
    if tree.name in DATABASE_MEMBERS.values() or tree.name == MANIFEST or tree.name == "database":
        raise ValueError(f"{tree.name!r} is reserved in a backup")
    if tree.path.is_file():
        manifest.trees[tree.name] = {"kind": "file", "keys": tree.keys}
        _add_file(archive, manifest, tree.name, tree.path, tree.name)
        return
    manifest.trees[tree.name] = {"kind": "directory", "keys": tree.keys}
    for path in sorted(tree.path.rglob("*")) if tree.path.is_dir() else []:
        if path.is_file() and not path.is_symlink():
            name = f"{tree.name}/{path.relative_to(tree.path).as_posix()}"
            _add_file(archive, manifest, name, path, tree.name)


# ---- restoring --------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: Manifest
    revision: str | None  # after the upgrade
    files: dict[str, int] = field(default_factory=dict)  # tree -> files restored
    keys_skipped: list[str] = field(default_factory=list)  # key trees already in place


def _open_archive(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:")
    except (tarfile.TarError, OSError) as error:
        raise IntegrityError(f"{path} is not a readable backup ({error})") from None


def _members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    try:
        infos = archive.getmembers()
    except (tarfile.TarError, OSError) as error:
        raise IntegrityError(f"the backup is damaged ({error})") from None
    found: dict[str, tarfile.TarInfo] = {}
    for info in infos:
        if info.name in found:
            raise IntegrityError(f"the backup holds member {info.name} twice")
        found[info.name] = info
    return found


def _relative(name: str, tree: str) -> PurePosixPath:
    """The member's path inside its tree, refusing anything that could leave the target."""
    if name == tree:
        return PurePosixPath()
    if not name.startswith(tree + "/"):
        raise IntegrityError(f"backup member {name} is not inside its tree {tree}")
    relative = PurePosixPath(name[len(tree) + 1 :])
    if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts):
        raise IntegrityError(f"backup member {name} has an unsafe path")
    return relative


def _hash_member(archive: tarfile.TarFile, info: tarfile.TarInfo) -> str:
    handle = archive.extractfile(info)
    if handle is None:
        raise IntegrityError(f"backup member {info.name} is not a file")
    digest = hashlib.sha256()
    while block := handle.read(BLOCK):
        digest.update(block)
    return digest.hexdigest()


def _checked(archive: tarfile.TarFile) -> Manifest:
    members = _members(archive)
    info = members.pop(MANIFEST, None)
    if info is None or not info.isfile():
        raise IntegrityError(f"the backup is damaged or truncated: it has no {MANIFEST}")
    handle = archive.extractfile(info)
    assert handle is not None  # noqa: S101 (isfile() was checked)
    manifest = Manifest.from_json(handle.read())
    if manifest.dialect not in DATABASE_MEMBERS:
        raise IntegrityError(f"the backup names an unknown database {manifest.dialect!r}")
    expected = set(manifest.members)
    if DATABASE_MEMBERS[manifest.dialect] not in expected:
        raise IntegrityError("the backup's manifest lists no database")
    for name in sorted(set(members) - expected):
        raise IntegrityError(f"backup member {name} is not in the manifest")
    for name in sorted(expected - set(members)):
        raise IntegrityError(f"backup member {name} is missing (the backup is damaged)")
    for name in sorted(expected):
        entry, info = manifest.members[name], members[name]
        if entry["tree"] != "database" and entry["tree"] not in manifest.trees:
            raise IntegrityError(f"backup member {name} belongs to no tree of the manifest")
        _relative(name, name if entry["tree"] == "database" else entry["tree"])
        problem = "size" if not info.isfile() or info.size != entry["size"] else None
        if problem is None and _hash_member(archive, info) != entry["sha256"]:
            problem = "SHA-256"
        if problem is not None:
            raise IntegrityError(f"backup member {name} is damaged: {problem} not as recorded")
    return manifest


def _files_in(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []


def _same_content(archive: tarfile.TarFile, manifest: Manifest, tree: str, target: Path) -> bool:
    wanted = {
        str(_relative(name, tree)): entry["sha256"]
        for name, entry in manifest.members.items()
        if entry["tree"] == tree
    }
    present = {
        ("." if path == target else path.relative_to(target).as_posix()): hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
        for path in _files_in(target)
    }
    return present == wanted


def _write_member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, sha256: str, target: Path
) -> None:
    """Stream a member to `target` (temp file, fsync, rename), checking its hash once more."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    source = archive.extractfile(info)
    assert source is not None  # noqa: S101 (checked by _checked)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            while block := source.read(BLOCK):
                digest.update(block)
                handle.write(block)
            handle.flush()
            os.fsync(handle.fileno())
        if digest.hexdigest() != sha256:
            raise IntegrityError(f"backup member {info.name} changed while it was restored")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def _known_revision(revision: str) -> None:
    config = migrate.alembic_config(sa.create_engine("sqlite://"))
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except CommandError:
        raise ConfigurationError(
            f"the backup is at schema revision {revision}, which this version of Dignity does "
            "not know; restore it with the version that made it (or a newer one)"
        ) from None


def restore_backup(path: Path, url: str, targets: Mapping[str, Path]) -> RestoreReport:
    """Restore the backup at `path` into the empty store at `url` and the trees' `targets`.

    Nothing is written until every member has been checked against the manifest, the store has
    been found empty, and every tree's target found empty (a key tree may instead already hold
    exactly the backup's keys, and is then left as it is).
    """
    with _open_archive(path) as archive:
        manifest = _checked(archive)
        dialect = make_url(url).get_backend_name()
        if dialect != manifest.dialect:
            raise ConfigurationError(
                f"the backup holds a {manifest.dialect} database; the target store is {dialect}"
            )
        missing = sorted(set(manifest.trees) - set(targets))
        if missing:
            raise ConfigurationError(f"no target given for the backup's {', '.join(missing)}")
        if manifest.revision is None:
            raise IntegrityError("the backup's manifest names no schema revision")
        _known_revision(manifest.revision)
        tables = _table_names(url)
        if tables:
            raise Conflict(f"the target store is not empty ({len(tables)} tables)")
        skipped = []
        for tree, spec in sorted(manifest.trees.items()):
            if not _files_in(targets[tree]):
                continue
            if spec["keys"] and _same_content(archive, manifest, tree, targets[tree]):
                skipped.append(tree)
                continue
            what = "different keys" if spec["keys"] else "files"
            raise Conflict(f"{targets[tree]} already holds {what}; restore only into empty places")
        report = RestoreReport(manifest, manifest.revision, keys_skipped=skipped)
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".dignity-restore-") as work:
            name, copy = DATABASE_MEMBERS[manifest.dialect], Path(work) / "database"
            _write_member(archive, archive.getmember(name), manifest.members[name]["sha256"], copy)
            _load(manifest.dialect, copy, url)
        for name, entry in sorted(manifest.members.items()):
            tree = entry["tree"]
            if tree == "database" or tree in skipped:
                continue
            relative = _relative(name, tree)
            target = targets[tree] / relative if relative.parts else targets[tree]
            _write_member(archive, archive.getmember(name), entry["sha256"], target)
            report.files[tree] = report.files.get(tree, 0) + 1
    _check_counts(url, manifest)
    engine = create_engine(url)
    try:
        if manifest.revision != migrate.head_revision():
            migrate.upgrade(engine)
        with engine.connect() as connection:
            report.revision = migrate.current_revision(connection)
    finally:
        engine.dispose()
    return report


def _check_counts(url: str, manifest: Manifest) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            restored = count_rows(connection)
    finally:
        engine.dispose()
    for table, rows in sorted(manifest.tables.items()):
        if restored.get(table) != rows:
            raise IntegrityError(
                f"the restored table {table} has {restored.get(table)} rows; the backup "
                f"recorded {rows}"
            )
