"""`dignity users`: staff accounts, from the server console (no sign-in; every action audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dignity.cli.context import console, err_console, operator, state
from dignity.exc import NotFound
from dignity.security import accounts
from dignity.security.permissions import Role
from dignity.store.session import transaction, write_transaction

app = typer.Typer(help="Manage staff accounts.", no_args_is_help=True)


def print_credential(username: str, credential: str, headline: str) -> None:
    """Show a one-time password once, the way Jupyter shows its token."""
    err_console.print(
        f"\n  {headline}\n"
        f"    username:           {username}\n"
        f"    one-time password:  {credential}\n"
        "  Sign in with it at /login; you will choose a new password and set up MFA.\n",
        markup=False,
    )


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="Username of the new administrator.")] = "admin",
) -> None:
    """Create an administrator with a one-time password that must be changed at first sign-in."""
    with write_transaction(state.sessionmaker) as session:
        user, credential = accounts.create_user(
            session, username=username, role=Role.ADMIN, actor=operator()
        )
    print_credential(user.username, credential, "Administrator created.")


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Username of the new account.")],
    role: Annotated[Role, typer.Option("--role", help="Role of the account.")] = Role.VIEWER,
) -> None:
    """Create an account with a one-time password."""
    with write_transaction(state.sessionmaker) as session:
        user, credential = accounts.create_user(
            session, username=username, role=role, actor=operator()
        )
    print_credential(user.username, credential, "Account created.")


@app.command("list")
def list_users() -> None:
    """List accounts with their role and MFA state."""
    with transaction(state.sessionmaker) as session:
        for user in accounts.list_users(session):
            mfa = "mfa" if user.mfa_enrolled else "no-mfa"
            status = "active" if user.active else "disabled"
            console.print(f"{user.username}\t{user.role}\t{mfa}\t{status}", markup=False)


@app.command("reset")
def reset(username: Annotated[str, typer.Argument(help="Account to reset.")]) -> None:
    """Recovery: new one-time password, MFA to enrol again, all sessions and tokens ended."""
    with write_transaction(state.sessionmaker) as session:
        user = accounts.find_user(session, username)
        if user is None:
            raise NotFound(f"no account named {username!r}")
        credential = accounts.reset_user(session, user, operator())
    print_credential(user.username, credential, "Account reset.")


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="Account to disable.")]) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens end."""
    with write_transaction(state.sessionmaker) as session:
        user = accounts.find_user(session, username)
        if user is None:
            raise NotFound(f"no account named {username!r}")
        accounts.set_disabled(session, user, True, operator(), datetime.now(UTC))
    console.print(f"{username} disabled")


def ensure_first_admin() -> None:
    """On a store with no accounts, create `admin` and print its one-time password (first run)."""
    with write_transaction(state.sessionmaker) as session:
        if accounts.count_users(session) > 0:
            return
        user, credential = accounts.create_user(
            session, username="admin", role=Role.ADMIN, actor=operator()
        )
    print_credential(user.username, credential, "First run: an administrator account was created.")
