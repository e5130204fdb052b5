"""Roles and what each may do. Deny by default: a permission not listed here is granted to no one.

Roles are global; projects (case files) decide which records a user sees (see `authz`).
Who a survivor or witness is (the identity vault of `consent`) is need-to-know: `identities:*`
go to administrators and investigators only, and never to a service account's token.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    SCREENING_OFFICER = "screening_officer"
    VIEWER = "viewer"


class Permission(StrEnum):
    USERS_MANAGE = "users:manage"
    PROJECTS_MANAGE = "projects:manage"
    PROJECTS_READ = "projects:read"
    RECORDS_READ = "records:read"
    RECORDS_WRITE = "records:write"
    REGISTRY_READ = "registry:read"
    REGISTRY_WRITE = "registry:write"
    SCREENING_READ = "screening:read"
    SCREENING_WRITE = "screening:write"
    AUDIT_READ = "audit:read"
    EXPORT_BULK = "export:bulk"
    TOKENS_MANAGE = "tokens:manage"
    IDENTITIES_READ = "identities:read"
    IDENTITIES_WRITE = "identities:write"


_READ = {Permission.PROJECTS_READ, Permission.REGISTRY_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INVESTIGATOR: frozenset(
        _READ
        | {
            Permission.RECORDS_READ,
            Permission.RECORDS_WRITE,
            Permission.SCREENING_READ,
            Permission.SCREENING_WRITE,
            Permission.EXPORT_BULK,
            Permission.IDENTITIES_READ,
            Permission.IDENTITIES_WRITE,
        }
    ),
    Role.ANALYST: frozenset(_READ | {Permission.RECORDS_READ, Permission.SCREENING_READ}),
    Role.SCREENING_OFFICER: frozenset(
        _READ | {Permission.SCREENING_READ, Permission.SCREENING_WRITE, Permission.REGISTRY_WRITE}
    ),
    Role.VIEWER: frozenset(_READ | {Permission.RECORDS_READ}),
}

# Scopes an API token may carry: the permissions that make sense for a machine client. Never
# `identities:*`: no machine client has need-to-know of who a person is.
TOKEN_SCOPES = frozenset(
    {
        Permission.REGISTRY_READ,
        Permission.SCREENING_READ,
        Permission.SCREENING_WRITE,
        Permission.RECORDS_READ,
        Permission.PROJECTS_READ,
    }
)


def permissions_for(role: str) -> frozenset[Permission]:
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()
