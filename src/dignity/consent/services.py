"""What other capabilities use of `consent` (the dependency rules allow this module only).

may_see_identities(principal) -> bool
store_identity(session, principal, keyring, project_id, values, *, identity_id, revision)
read_identity(session, principal, keyring, identity_id) -> IdentityValues
read_identity_record(session, principal, keyring, identity_id) -> IdentityRead
project_cipher(session, keyring, project_id) -> ProjectCipher
rewrap_project_keys(session, keyring, *, actor) -> int
"""

from dignity.consent.keys import ProjectCipher, project_cipher, rewrap_project_keys
from dignity.consent.models import Identity
from dignity.consent.schemas import (
    IdentityRead,
    IdentityValues,
    IdentityWrite,
    IdNumber,
    Name,
    identity_values,
)
from dignity.consent.vault import (
    may_see_identities,
    read_identity,
    read_identity_record,
    store_identity,
)

__all__ = [
    "IdNumber",
    "Identity",
    "IdentityRead",
    "IdentityValues",
    "IdentityWrite",
    "Name",
    "ProjectCipher",
    "identity_values",
    "may_see_identities",
    "project_cipher",
    "read_identity",
    "read_identity_record",
    "rewrap_project_keys",
    "store_identity",
]
