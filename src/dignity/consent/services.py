"""What other capabilities use of `consent` (the dependency rules allow this module only).

may_see_identities(principal) -> bool
store_identity(session, principal, keyring, project_id, values, *, identity_id, revision)
read_identity(session, principal, keyring, identity_id) -> IdentityValues
read_identity_record(session, principal, keyring, identity_id) -> IdentityRead
project_cipher(session, keyring, project_id) -> ProjectCipher
rewrap_project_keys(session, keyring, *, actor) -> int

record_consent / withdraw_consent / consent_history / coverage   consent chains and the check
log_share / shares_of_person / record_notification               the sharing log
add_promise / set_promise_status / promises_of_person / overdue_promises   promises
"""

from dignity.consent import scopes
from dignity.consent.agreements import (
    Coverage,
    consent_history,
    coverage,
    record_consent,
    withdraw_consent,
)
from dignity.consent.keys import ProjectCipher, project_cipher, rewrap_project_keys
from dignity.consent.models import Consent, Identity, Promise, Share
from dignity.consent.promises import (
    add_promise,
    overdue_promises,
    promises_of_person,
    set_promise_status,
)
from dignity.consent.schemas import (
    IdentityRead,
    IdentityValues,
    IdentityWrite,
    IdNumber,
    Name,
    identity_values,
)
from dignity.consent.sharing import (
    describe_shares,
    log_share,
    record_notification,
    shares_of_person,
)
from dignity.consent.terms import (
    ConsentCreate,
    ConsentRead,
    NotificationCreate,
    NotificationRead,
    PromiseCreate,
    PromiseRead,
    PromiseUpdate,
    ShareCreate,
    ShareRead,
    WithdrawalCreate,
    parse,
)
from dignity.consent.vault import (
    may_see_identities,
    read_identity,
    read_identity_record,
    store_identity,
)

__all__ = [
    "Consent",
    "ConsentCreate",
    "ConsentRead",
    "Coverage",
    "IdNumber",
    "Identity",
    "IdentityRead",
    "IdentityValues",
    "IdentityWrite",
    "Name",
    "NotificationCreate",
    "NotificationRead",
    "ProjectCipher",
    "Promise",
    "PromiseCreate",
    "PromiseRead",
    "PromiseUpdate",
    "Share",
    "ShareCreate",
    "ShareRead",
    "WithdrawalCreate",
    "add_promise",
    "consent_history",
    "coverage",
    "describe_shares",
    "identity_values",
    "log_share",
    "may_see_identities",
    "overdue_promises",
    "parse",
    "project_cipher",
    "promises_of_person",
    "read_identity",
    "read_identity_record",
    "record_consent",
    "record_notification",
    "rewrap_project_keys",
    "scopes",
    "set_promise_status",
    "shares_of_person",
    "store_identity",
    "withdraw_consent",
]
