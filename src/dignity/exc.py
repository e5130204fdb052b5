"""The errors Dignity raises on purpose. Domain code raises these; it knows nothing of HTTP.

    DignityError
    ├── ConfigurationError      the deployment is set up wrongly (missing key, bad setting)
    ├── InvalidInput            input failed validation; carries one FieldError per problem
    │   └── TooLarge            input over a size limit, refused while it streamed in
    ├── NotFound                no such object, or one the caller may not see (same answer)
    ├── NotAuthenticated        no valid credential was presented
    ├── PermissionDenied        the caller is known but may not do this
    ├── Conflict                the object changed underneath the caller, or already exists
    ├── RateLimited             too many attempts in the window
    ├── StoreError              the database could not do what was asked
    └── IntegrityError          stored data failed a cryptographic or hash-chain check

The API maps each class to one status code in `dignity.api.errors.STATUS_BY_ERROR`; the CLI prints
`str(error)` on one line and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one record of some input.

    `location` names where the record came from (a file and line, a request body), `field` the
    field, and `message` what is wrong, in words a user can act on.
    """

    field: str
    message: str
    location: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.field}: {self.message}"


class DignityError(Exception):
    """Base of every error Dignity raises deliberately."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(DignityError):
    code = "configuration_error"


class InvalidInput(DignityError):
    code = "invalid_input"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.message}: {first}{more}"


class TooLarge(InvalidInput):
    code = "too_large"


class NotFound(DignityError):
    code = "not_found"


class NotAuthenticated(DignityError):
    code = "not_authenticated"


class PermissionDenied(DignityError):
    code = "permission_denied"


class Conflict(DignityError):
    code = "conflict"


class RateLimited(DignityError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(DignityError):
    code = "store_error"


class IntegrityError(DignityError):
    code = "integrity_error"
