"""`dignity tokens`: API clients and their bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dignity.cli.context import console, operator, state
from dignity.security import apitokens
from dignity.security.permissions import TOKEN_SCOPES
from dignity.store.session import transaction, write_transaction

app = typer.Typer(help="Manage API clients and their tokens.", no_args_is_help=True)

SCOPES = ", ".join(sorted(scope.value for scope in TOKEN_SCOPES))


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Name of the API client (created when new).")],
    scope: Annotated[
        list[str], typer.Option("--scope", help=f"A scope to grant (repeatable): {SCOPES}.")
    ],
    expires: Annotated[
        int | None, typer.Option("--expires", help="Days until the token expires (1-366).")
    ] = None,
) -> None:
    """Issue a token for an API client and print it once."""
    with write_transaction(state.sessionmaker) as session:
        account = apitokens.find_service_account(session, name) or (
            apitokens.create_service_account(session, name, operator())
        )
        token, secret = apitokens.issue_token(
            session,
            state.settings,
            scopes=scope,
            expires_days=expires,
            actor=operator(),
            now=datetime.now(UTC),
            service_account=account,
        )
    expiry = token.expires_at.date().isoformat() if token.expires_at else "never"
    console.print(f"token for {account.name} (scopes: {token.scopes}; expires: {expiry}):")
    console.print(secret, markup=False)


@app.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets): id, owner, scopes, state."""
    now = datetime.now(UTC)
    with transaction(state.sessionmaker) as session:
        for token, owner in apitokens.list_tokens(session):
            if token.revoked_at:
                status = "revoked"
            elif token.expires_at and token.expires_at <= now:
                status = "expired"
            else:
                status = "active"
            console.print(
                f"{token.id}\t{owner}\t{token.hint}…\t{token.scopes}\t{status}", markup=False
            )


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="Id of the token (see `tokens list`).")],
) -> None:
    """Revoke a token at once."""
    with write_transaction(state.sessionmaker) as session:
        apitokens.revoke_token(session, token_id, operator(), datetime.now(UTC))
    console.print(f"token {token_id} revoked")
