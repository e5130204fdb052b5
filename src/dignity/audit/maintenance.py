"""Audit jobs that run in a transaction of their own: checkpointing and verification.

These tie the log to the deployment's settings: the signing key file and the witness directory.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError as RowConflict
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit.chain import VerifyReport
from dignity.audit.checkpoints import Checkpoint, DirectoryWitness
from dignity.audit.services import checkpoint_due, make_checkpoint, verify_store
from dignity.security.keys import key_id, load_signing_key
from dignity.settings import Settings
from dignity.store import write_transaction


def trusted_key_ids(settings: Settings) -> set[str]:
    """Fingerprints of the keys whose checkpoints this deployment trusts (its own key).

    Verification never creates a key: with the key file missing, no checkpoint is trusted and each
    one is reported, rather than a new key being made that would disown them all silently.
    """
    path = settings.signing_key_path
    if not path.exists():
        return set()
    return {key_id(load_signing_key(path, create=False).public_key())}


def checkpoint_if_due(
    settings: Settings, factory: sessionmaker[Session], max_age: timedelta | None = None
) -> Checkpoint | None:
    """Sign, store and witness a checkpoint when one is due; returns it, or None."""
    age = timedelta(minutes=settings.audit_checkpoint_minutes) if max_age is None else max_age
    with factory() as session, session.begin():
        if not checkpoint_due(session, settings.audit_checkpoint_every, age):
            return None
    return checkpoint_now(settings, factory)


def checkpoint_now(settings: Settings, factory: sessionmaker[Session]) -> Checkpoint | None:
    """Sign a checkpoint of the whole log unless the last one already covers it."""
    key = load_signing_key(settings.signing_key_path)
    try:
        with write_transaction(factory) as session:  # it reads the log's head, then writes
            checkpoint = make_checkpoint(session, key)
    except RowConflict:
        return None  # another process signed the same size at the same moment
    if checkpoint is not None:
        DirectoryWitness(settings.witness_dir).publish(checkpoint)
    return checkpoint


def verify(settings: Settings, factory: sessionmaker[Session]) -> VerifyReport:
    with factory() as session, session.begin():
        return verify_store(
            session, trusted_key_ids(settings), DirectoryWitness(settings.witness_dir)
        )
