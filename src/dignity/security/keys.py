"""Signing keys kept in files: created once, readable by the owner only, never in the database."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dignity.exc import ConfigurationError
from dignity.store.files import atomic_write


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The SHA-256 fingerprint of the raw public key, in hex: what users compare out of band."""
    return hashlib.sha256(public_bytes(key)).hexdigest()


def load_signing_key(path: Path, *, create: bool = True) -> Ed25519PrivateKey:
    """Read the Ed25519 key at `path`; generate it (mode 0600) when missing and `create` is set."""
    if not path.exists():
        if not create:
            raise ConfigurationError(f"{path}: signing key not found")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        atomic_write(path, pem, mode=0o600)
        return key
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path}: signing key is readable by others; chmod 600 it")
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise ConfigurationError(f"{path}: not a PEM private key ({error})") from error
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(f"{path}: not an Ed25519 private key")
    return loaded


def load_public_key(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise ConfigurationError(f"not an Ed25519 public key: {error}") from error
