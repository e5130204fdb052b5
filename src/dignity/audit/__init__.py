"""The tamper-evident audit log (SECURITY.md item 44).

Every state-changing service call appends an event with `record_event`. Events form a hash chain;
signed Merkle checkpoints (RFC 6962 hashing, Ed25519) pin the log's size and content and are copied
to an outside witness, so editing, deleting, reordering or truncating entries is detected by
`verify_store` and `verify_export` (`dignity audit verify`).
"""

from dignity.audit.services import record_event

__all__ = ["record_event"]
