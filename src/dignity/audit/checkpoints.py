"""Signed checkpoints of the audit log and the outside witness that keeps copies of them.

A checkpoint states "the first `tree_size` entries have Merkle root `root_hash`", signed with the
server's Ed25519 key. A copy goes to a witness outside the database, so deleting the tail of the log
(and the checkpoints in the database with it) is still detected.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dignity.audit.chain import Problem, canonical_json
from dignity.exc import ConfigurationError, FieldError, InvalidInput
from dignity.security.keys import key_id, load_public_key, public_bytes
from dignity.store.files import append_line

LOG_NAME = "dignity-audit-log/1"
WITNESS_FILE = "checkpoints.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: str
    issued_at: str
    key_id: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        return signed_message(self.tree_size, self.root_hash, self.issued_at, self.key_id)

    def signature_problem(self, trusted_key_ids: set[str] | None) -> str | None:
        """Why this checkpoint cannot be trusted, or None when its signature holds."""
        try:
            public = load_public_key(base64.b64decode(self.public_key, validate=True))
            if key_id(public) != self.key_id:
                return "its key id does not match its public key"
            public.verify(base64.b64decode(self.signature, validate=True), self.message())
        except (ValueError, InvalidSignature, ConfigurationError):
            return "its signature does not verify"
        if trusted_key_ids is not None and self.key_id not in trusted_key_ids:
            return f"it is signed by an untrusted key {self.key_id[:16]}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, location: str) -> Checkpoint:
        fields = ("tree_size", "root_hash", "issued_at", "key_id", "public_key", "signature")
        if not isinstance(data, dict):
            raise InvalidInput(
                "checkpoint is not an object", [FieldError("checkpoint", "not an object", location)]
            )
        errors = [FieldError(name, "missing", location) for name in fields if name not in data]
        if errors:
            raise InvalidInput("checkpoint is incomplete", errors)
        if not isinstance(data["tree_size"], int) or data["tree_size"] < 1:
            raise InvalidInput(
                "bad checkpoint", [FieldError("tree_size", "not a positive integer", location)]
            )
        wrong = [
            FieldError(name, "not a string", location)
            for name in fields[1:]
            if not isinstance(data[name], str)
        ]
        if wrong:
            raise InvalidInput("bad checkpoint", wrong)
        return cls(**{name: data[name] for name in fields})


def signed_message(tree_size: int, root_hash: str, issued_at: str, signer_id: str) -> bytes:
    body = {
        "log": LOG_NAME,
        "tree_size": tree_size,
        "root_hash": root_hash,
        "issued_at": issued_at,
        "key_id": signer_id,
    }
    return canonical_json(body).encode("utf-8")


def sign_checkpoint(
    key: Ed25519PrivateKey, tree_size: int, root_hash: str, issued_at: str
) -> Checkpoint:
    public = key.public_key()
    signer_id = key_id(public)
    signature = key.sign(signed_message(tree_size, root_hash, issued_at, signer_id))
    return Checkpoint(
        tree_size=tree_size,
        root_hash=root_hash,
        issued_at=issued_at,
        key_id=signer_id,
        public_key=base64.b64encode(public_bytes(public)).decode("ascii"),
        signature=base64.b64encode(signature).decode("ascii"),
    )


class DirectoryWitness:
    """A witness that appends each checkpoint as one JSON line to a file in a directory.

    Point the directory at storage the database's administrators cannot rewrite (another host's
    mount, a write-once bucket synced from it) to make truncation of the log detectable.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / WITNESS_FILE

    def publish(self, checkpoint: Checkpoint) -> None:
        append_line(self.path, canonical_json(checkpoint.to_dict()).encode("utf-8"))

    def read(self) -> tuple[list[Checkpoint], list[Problem]]:
        if not self.path.exists():
            return [], []
        checkpoints: list[Checkpoint] = []
        problems: list[Problem] = []
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                location = f"{self.path}:{number}"
                try:
                    record = json.loads(line.decode("utf-8"))
                    checkpoints.append(Checkpoint.from_dict(record, location))
                except (UnicodeDecodeError, json.JSONDecodeError, InvalidInput) as error:
                    problems.append(
                        Problem(None, f"witness {location}: unreadable checkpoint ({error})")
                    )
        return checkpoints, problems
